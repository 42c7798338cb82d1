// The reference for test/syntax/cst-parity.test.ts: mmc's earlier parser, the same grammar as a
// chevrotain CST parser with error recovery (its tree is walked by cst-to-ast.ts).
import {
  CstParser,
  type CstNode,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import * as T from "../../../src/syntax/tokens.js";
import { messageProvider } from "../../../src/syntax/messages.js";

class CstMmParser extends CstParser {
  /** `validate`: run chevrotain's grammar checks (slow to start; `validateGrammar` does it). */
  constructor(validate = false) {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      // Each CST node records its offsets, so the AST step gets spans without walking subtrees.
      nodeLocationTracking: "onlyOffset",
      maxLookahead: 3,
      errorMessageProvider: messageProvider,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  file = this.RULE("file", () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.declaration) },
        // A token that cannot start a declaration: kept as a stray and reported by the AST
        // step, so parsing goes on with the next declaration.
        { ALT: () => this.CONSUME(T.Stray) },
      ]),
    );
  });

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.importDecl) },
      { ALT: () => this.SUBRULE(this.presetDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.blockDecl) },
    ]);
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.LCurly);
    this.OPTION(() => {
      this.CONSUME(T.Identifier);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.OPTION2(() => this.CONSUME2(T.Identifier));
      });
    });
    this.CONSUME(T.RCurly);
    this.CONSUME(T.From);
    this.CONSUME(T.StringLiteral);
  });

  presetDecl = this.RULE("presetDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Encoder) },
      { ALT: () => this.CONSUME(T.Connector) },
      { ALT: () => this.CONSUME(T.Llm) },
      { ALT: () => this.CONSUME(T.Moe) },
    ]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.value);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.Identifier);
    });
    this.SUBRULE(this.body);
  });

  /** `data`, `train` and `sweep` share one shape: keyword, name, optional base, body. */
  blockDecl = this.RULE("blockDecl", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Data) },
      { ALT: () => this.CONSUME(T.Train) },
      { ALT: () => this.CONSUME(T.Sweep) },
    ]);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.Identifier);
    });
    this.SUBRULE(this.body);
  });

  body = this.RULE("body", () => {
    this.CONSUME(T.LCurly);
    this.MANY({
      // `model X` or `data Y` inside a body means its `}` is missing: stop here so the error
      // is "expected `}` to close ...", not a confusing field error.
      GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
      DEF: () => {
        this.SUBRULE(this.member);
        this.OPTION(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RCurly);
  });

  member = this.RULE("member", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.budgetBlock) },
      { ALT: () => this.SUBRULE(this.varyEntry) },
      { ALT: () => this.SUBRULE(this.field) },
    ]);
  });

  field = this.RULE("field", () => {
    this.SUBRULE(this.path);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  path = this.RULE("path", () => {
    this.CONSUME(T.AnyName);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.AnyName);
    });
  });

  budgetBlock = this.RULE("budgetBlock", () => {
    this.CONSUME(T.Budget);
    this.CONSUME(T.LCurly);
    this.MANY({
      GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
      DEF: () => {
        this.SUBRULE(this.bound);
        this.OPTION(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RCurly);
  });

  bound = this.RULE("bound", () => {
    this.SUBRULE(this.path);
    this.CONSUME(T.Compare);
    this.SUBRULE(this.value);
  });

  varyEntry = this.RULE("varyEntry", () => {
    this.CONSUME(T.Vary);
    this.SUBRULE(this.path);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });

  value = this.RULE("value", () => {
    this.OR([
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLiteral);
          // A weighted source: `45% webdataset("...")`.
          this.OPTION2({
            GATE: () => this.LA(2).tokenType === T.LParen,
            DEF: () => this.SUBRULE(this.call),
          });
        },
      },
      { ALT: () => this.CONSUME(T.Ratio) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.body) },
      { ALT: () => this.SUBRULE(this.reference) },
      // The part words `connector` and `llm` as bare values (`freeze: [vision, connector]`).
      { ALT: () => this.CONSUME(T.Connector) },
      { ALT: () => this.CONSUME(T.Llm) },
    ]);
  });

  call = this.RULE("call", () => {
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.args);
  });

  /** A name, optionally applied: `Tiny`, `ViT { ... }`, `Image[3, 64, 64]`, `swiglu(688)`. */
  reference = this.RULE("reference", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.body) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.args) },
      ]),
    );
  });

  args = this.RULE("args", () => {
    this.CONSUME(T.LParen);
    this.MANY({
      GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
      DEF: () => {
        this.SUBRULE(this.argument);
        this.OPTION(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RParen);
  });

  argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.AnyName);
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.value);
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.MANY({
      GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
      DEF: () => {
        this.SUBRULE(this.value);
        this.OPTION(() => this.CONSUME(T.Comma));
      },
    });
    this.CONSUME(T.RBracket);
  });
}

const DECLARATION_KEYWORDS = new Set<TokenType>([
  T.Model,
  T.Data,
  T.Train,
  T.Sweep,
  T.Encoder,
  T.Connector,
  T.Llm,
  T.Moe,
]);

function startsDeclaration(first: TokenType, second: TokenType): boolean {
  if (first === T.Import) return second === T.LCurly;
  return DECLARATION_KEYWORDS.has(first) && second === T.Identifier;
}

let shared: CstMmParser | undefined;

export interface CstResult {
  cst: CstNode;
  errors: IRecognitionException[];
}

export function parseTokensCst(tokens: IToken[]): CstResult {
  shared ??= new CstMmParser();
  shared.input = tokens;
  const cst = shared.file();
  return { cst, errors: [...shared.errors] };
}
