// The grammar of `.mm` and the AST it builds: a chevrotain parser with error recovery whose rules
// assemble the typed AST as they read, with no syntax tree in between (building chevrotain's CST
// and walking it again was about half of parsing; docs/architecture.md). Leaves (names, decoded
// literals, doc comments) come from ast-parts.ts; messages are worded in messages.ts.
//
// Error recovery can end a rule early. chevrotain then returns the rule's `recoveryValueFunc`
// instead of what the rule body returns, so each rule keeps what it has read in a small record
// (`Open`) and one `finish` function turns that record into the AST, whether the rule ran to its
// end or was cut short. What a cut-short rule yields is what chevrotain's CST held for it: the
// tokens and sub-rules read before the error, spans from the first real token to the last
// (tokens inserted by recovery have no offset and are not there). test/syntax/cst-parity.test.ts
// compares this parser with the earlier CST parser and its tree walker, kept under test/.
import {
  EmbeddedActionsParser,
  Lexer,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type * as A from "./ast.js";
import { AstParts, tokenEnd } from "./ast-parts.js";
import { messageProvider } from "./messages.js";
import type { PresetKeyword } from "./tokens.js";
import * as T from "./tokens.js";

/** Which literal or keyword a value is. */
type Literal = "number" | "ratio" | "string" | "true" | "false" | "part";

/**
 * What a rule has read so far. One shape for every rule (each uses the fields it needs), so the
 * parser's helpers see a single object shape: records of different shapes made them slower than
 * building chevrotain's CST.
 */
class Rec {
  /** The first real token's offset and the end of the last real one read (NaN: none yet). */
  s = NaN;
  e = NaN;
  /** Diagnostics of the literals under this rule (kept only if the rule's result keeps them). */
  d: Diagnostic[] | undefined = undefined;
  /** A list's items, a body's members, a file's declarations, a declaration's names. */
  items: unknown[] | undefined = undefined;
  strays: IToken[] | undefined = undefined;
  /** The one token a rule is about: a keyword, a literal, a name, a bound's comparison. */
  t: IToken | undefined = undefined;
  minus: IToken | undefined = undefined;
  lit: Literal | undefined = undefined;
  inner: A.Declaration | A.Member | undefined = undefined;
  value: A.Value | undefined = undefined;
  body: A.Body | undefined = undefined;
  path: A.Name[] | undefined = undefined;
  call: A.CallValue | undefined = undefined;
  list: A.ListValue | undefined = undefined;
  args: A.Argument[] | undefined = undefined;

  /** `a` puts the result of a sub-rule (named `child`) where this rule keeps it. */
  constructor(readonly a: Attach) {}

  push(x: unknown): void {
    if (this.items === undefined) this.items = [x];
    else this.items.push(x);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- sub-rules return different types
type Attach = (p: Rec, child: string, v: any) => void;

// Where each rule keeps what its sub-rules return.
const keepDefined: Attach = (p, _c, v) => {
  if (v !== undefined) p.push(v);
};
const keepAll: Attach = (p, _c, v) => p.push(v);
const keepInner: Attach = (p, _c, v) => (p.inner = v);
const keepField: Attach = (p, c, v) => (c === "path" ? (p.path = v) : (p.value = v));
const keepPart: Attach = (p, c, v) => {
  if (c === "body") p.body = v;
  else if (c === "list") p.list = v;
  else if (c === "args") p.args = v;
  else if (c === "call") p.call = v;
  else p.value = v; // value, reference
};

const openList = () => new Rec(keepDefined);
const openAll = () => new Rec(keepAll);
const openOne = () => new Rec(keepInner);
const openField = () => new Rec(keepField);
const openPart = () => new Rec(keepPart);

class MmParser extends EmbeddedActionsParser {
  /** The leaves' maker of the file being parsed (set by `parseTokens`). */
  parts!: AstParts;
  /**
   * The record of the rule whose body threw last, its finisher and name. chevrotain either
   * recovers that rule (its `recoveryValueFunc` takes the record) or passes the error on to its
   * caller, which then keeps what the failed rule read (as chevrotain's CST keeps a failed
   * rule's partial node in its parent's) before failing in turn.
   */
  private failed: Rec | undefined;
  private failedDone: ((p: Rec) => unknown) | undefined;
  private failedName = "";
  /** The span and kept diagnostics of the rule that just finished, for its caller. */
  private lastS = NaN;
  private lastE = NaN;
  private lastD: Diagnostic[] | undefined;
  /** Set by a `finish` that drops what it read: its diagnostics go too. */
  private dropped = false;
  /** Diagnostics of a value's own literals, before they join the value's record. */
  private readonly scratch: Diagnostic[] = [];

  /** `validate`: run chevrotain's grammar checks (slow to start; `validateGrammar` does it). */
  constructor(validate = false) {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: messageProvider,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  /**
   * A grammar rule whose body fills a record made by `make`, and `finish` turns the record into
   * the rule's result, also when error recovery cuts the body short. A `finish` that drops what
   * was read (returns no declaration, no field) calls `drop`, and the diagnostics of the literals
   * under it go too, as the CST walker never visited them.
   */
  private rule<R>(name: string, make: () => Rec, body: (p: Rec) => void, finish: (p: Rec) => R) {
    const done = (p: Rec): R => {
      if (this.RECORDING_PHASE) return undefined as R;
      this.dropped = false;
      const result = finish(p);
      this.lastS = p.s;
      this.lastE = p.e;
      this.lastD = this.dropped ? undefined : p.d;
      return result;
    };
    return this.RULE(
      name,
      (): R => {
        const p = make();
        try {
          body(p);
        } catch (e) {
          this.adoptFailed(p);
          this.failed = p;
          this.failedDone = done;
          this.failedName = name;
          throw e;
        }
        return done(p);
      },
      {
        recoveryValueFunc: () => {
          const p = this.failed!;
          this.failed = undefined;
          return done(p);
        },
      },
    );
  }

  private drop(): undefined {
    this.dropped = true;
    return undefined;
  }

  /** Keeps in `p` what its sub-rule read before it failed without recovering. */
  private adoptFailed(p: Rec): void {
    const child = this.failed;
    if (child === undefined || this.RECORDING_PHASE) return;
    this.failed = undefined;
    this.kid(p, this.failedName, this.failedDone!(child));
  }

  /** Records a consumed token in `p`'s span; undefined for a token inserted by recovery. */
  private tok(p: Rec, t: IToken): IToken | undefined {
    const s = t.startOffset;
    if (Number.isNaN(s) || this.RECORDING_PHASE) return undefined;
    if (Number.isNaN(p.s)) p.s = s;
    const e = tokenEnd(t);
    if (!(e <= p.e)) p.e = e;
    return t;
  }

  /** Records a consumed name token in `p`'s span and its names. */
  private id(p: Rec, t: IToken): void {
    if (this.tok(p, t)) p.push(t);
  }

  /** Keeps the result, span and diagnostics of the sub-rule `child` that just returned in `p`. */
  private kid(p: Rec, child: string, result: unknown): void {
    if (this.RECORDING_PHASE) return;
    if (!Number.isNaN(this.lastS)) {
      if (Number.isNaN(p.s)) {
        p.s = this.lastS;
        p.e = this.lastE;
      } else if (this.lastE > p.e) p.e = this.lastE;
    }
    if (this.lastD) p.d = p.d ? p.d.concat(this.lastD) : this.lastD;
    p.a(p, child, result);
  }

  private span(p: Rec) {
    return this.parts.span(p.s, p.e);
  }

  file = this.rule(
    "file",
    openList,
    (p) =>
      this.MANY(() =>
        this.OR([
          { ALT: () => this.kid(p, "declaration", this.SUBRULE(this.declaration)) },
          // A token that cannot start a declaration: kept as a stray and reported by parse.ts,
          // so parsing goes on with the next declaration.
          {
            ALT: () => {
              const t = this.CONSUME(T.Stray);
              if (this.tok(p, t)) (p.strays ??= []).push(t);
            },
          },
        ]),
      ),
    (p) => p,
  );

  declaration = this.rule(
    "declaration",
    openOne,
    (p) =>
      this.OR([
        { ALT: () => this.kid(p, "importDecl", this.SUBRULE(this.importDecl)) },
        { ALT: () => this.kid(p, "presetDecl", this.SUBRULE(this.presetDecl)) },
        { ALT: () => this.kid(p, "modelDecl", this.SUBRULE(this.modelDecl)) },
        { ALT: () => this.kid(p, "blockDecl", this.SUBRULE(this.blockDecl)) },
      ]),
    (p) => (p.inner as A.Declaration | undefined) ?? this.drop(),
  );

  importDecl = this.rule(
    "importDecl",
    openPart,
    (p) => {
      this.tok(p, this.CONSUME(T.Import));
      this.tok(p, this.CONSUME(T.LCurly));
      this.OPTION(() => {
        this.id(p, this.CONSUME(T.Identifier));
        this.MANY(() => {
          this.tok(p, this.CONSUME(T.Comma));
          this.OPTION2(() => this.id(p, this.CONSUME2(T.Identifier)));
        });
      });
      this.tok(p, this.CONSUME(T.RCurly));
      this.tok(p, this.CONSUME(T.From));
      p.t = this.tok(p, this.CONSUME(T.StringLiteral));
    },
    (p): A.ImportDecl | undefined => {
      const str = p.t;
      if (!str) return this.drop();
      const from = this.literals(p, () => this.parts.string(str));
      const names = this.names(p);
      return { kind: "import", names, from, span: this.span(p) };
    },
  );

  private names(p: Rec): A.Name[] {
    return ((p.items ?? []) as IToken[]).map((t) => this.parts.name(t));
  }

  presetDecl = this.rule(
    "presetDecl",
    openPart,
    (p) => {
      p.t = this.OR([
        { ALT: () => this.tok(p, this.CONSUME(T.Encoder)) },
        { ALT: () => this.tok(p, this.CONSUME(T.Connector)) },
        { ALT: () => this.tok(p, this.CONSUME(T.Llm)) },
        { ALT: () => this.tok(p, this.CONSUME(T.Moe)) },
      ]);
      this.id(p, this.CONSUME(T.Identifier));
      this.tok(p, this.CONSUME(T.Equals));
      this.kid(p, "value", this.SUBRULE(this.value));
    },
    (p): A.PresetDecl | undefined => {
      const id = p.items?.[0] as IToken | undefined;
      if (!p.t || !id) return this.drop();
      const span = this.span(p);
      return {
        kind: "preset",
        role: p.t.image as PresetKeyword,
        keywordSpan: this.parts.tokenSpan(p.t),
        name: this.parts.name(id),
        value: p.value ?? { kind: "error", span: this.parts.tokenSpan(id) },
        span,
        ...this.parts.doc(span),
      };
    },
  );

  modelDecl = this.rule(
    "modelDecl",
    openPart,
    (p) => {
      this.tok(p, this.CONSUME(T.Model));
      this.id(p, this.CONSUME(T.Identifier));
      this.OPTION(() => {
        this.tok(p, this.CONSUME(T.Equals));
        this.id(p, this.CONSUME2(T.Identifier));
      });
      this.kid(p, "body", this.SUBRULE(this.body));
    },
    (p): A.ModelDecl | undefined => {
      const [id, base] = (p.items ?? []) as IToken[];
      if (!id) return this.drop();
      const span = this.span(p);
      return {
        kind: "model",
        name: this.parts.name(id),
        ...(base ? { base: this.parts.name(base) } : {}),
        body: p.body ?? { members: [], span: this.parts.tokenSpan(id) },
        span,
        ...this.parts.doc(span),
      };
    },
  );

  /** `data`, `train` and `sweep` share one shape: keyword, name, optional base, body. */
  blockDecl = this.rule(
    "blockDecl",
    openPart,
    (p) => {
      p.t = this.OR([
        { ALT: () => this.tok(p, this.CONSUME(T.Data)) },
        { ALT: () => this.tok(p, this.CONSUME(T.Train)) },
        { ALT: () => this.tok(p, this.CONSUME(T.Sweep)) },
      ]);
      this.id(p, this.CONSUME(T.Identifier));
      this.OPTION(() => {
        this.tok(p, this.CONSUME(T.Equals));
        this.id(p, this.CONSUME2(T.Identifier));
      });
      this.kid(p, "body", this.SUBRULE(this.body));
    },
    (p): A.BlockDecl | undefined => {
      const [id, base] = (p.items ?? []) as IToken[];
      if (!p.t || !id) return this.drop();
      const span = this.span(p);
      return {
        kind: p.t.image as "data" | "train" | "sweep",
        name: this.parts.name(id),
        ...(base ? { base: this.parts.name(base) } : {}),
        body: p.body ?? { members: [], span: this.parts.tokenSpan(id) },
        span,
        ...this.parts.doc(span),
      };
    },
  );

  body = this.rule(
    "body",
    openList,
    (p) => {
      this.tok(p, this.CONSUME(T.LCurly));
      this.MANY({
        // `model X` or `data Y` inside a body means its `}` is missing: stop here so the error
        // is "expected `}` to close ...", not a confusing field error.
        GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
        DEF: () => {
          this.kid(p, "member", this.SUBRULE(this.member));
          this.OPTION(() => this.tok(p, this.CONSUME(T.Comma)));
        },
      });
      this.tok(p, this.CONSUME(T.RCurly));
    },
    (p): A.Body => ({ members: (p.items ?? []) as A.Member[], span: this.span(p) }),
  );

  member = this.rule(
    "member",
    openOne,
    (p) =>
      this.OR([
        { ALT: () => this.kid(p, "budgetBlock", this.SUBRULE(this.budgetBlock)) },
        { ALT: () => this.kid(p, "varyEntry", this.SUBRULE(this.varyEntry)) },
        { ALT: () => this.kid(p, "field", this.SUBRULE(this.field)) },
      ]),
    (p) => (p.inner as A.Member | undefined) ?? this.drop(),
  );

  field = this.rule(
    "field",
    openField,
    (p) => {
      this.kid(p, "path", this.SUBRULE(this.path));
      this.tok(p, this.CONSUME(T.Colon));
      this.kid(p, "value", this.SUBRULE(this.value));
    },
    (p): A.Field | undefined => {
      if (!p.path || p.path.length === 0) return this.drop();
      const span = this.span(p);
      return { kind: "field", path: p.path, value: p.value ?? { kind: "error", span }, span };
    },
  );

  path = this.rule(
    "path",
    openAll,
    (p) => {
      this.name(p, this.CONSUME(T.AnyName));
      this.MANY(() => {
        this.tok(p, this.CONSUME(T.Dot));
        this.name(p, this.CONSUME2(T.AnyName));
      });
    },
    (p): A.Name[] => (p.items ?? []) as A.Name[],
  );

  private name(p: Rec, t: IToken): void {
    if (this.tok(p, t)) p.push(this.parts.name(t));
  }

  budgetBlock = this.rule(
    "budgetBlock",
    openList,
    (p) => {
      this.tok(p, this.CONSUME(T.Budget));
      this.tok(p, this.CONSUME(T.LCurly));
      this.MANY({
        GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
        DEF: () => {
          this.kid(p, "bound", this.SUBRULE(this.bound));
          this.OPTION(() => this.tok(p, this.CONSUME(T.Comma)));
        },
      });
      this.tok(p, this.CONSUME(T.RCurly));
    },
    (p): A.BudgetBlock => ({
      kind: "budget",
      bounds: (p.items ?? []) as A.Bound[],
      span: this.span(p),
    }),
  );

  bound = this.rule(
    "bound",
    openField,
    (p) => {
      this.kid(p, "path", this.SUBRULE(this.path));
      p.t = this.tok(p, this.CONSUME(T.Compare));
      this.kid(p, "value", this.SUBRULE(this.value));
    },
    (p): A.Bound | undefined => {
      if (!p.path || !p.t || !p.value || p.path.length === 0) return this.drop();
      return {
        path: p.path,
        op: p.t.image as A.CompareOp,
        opSpan: this.parts.tokenSpan(p.t),
        value: p.value,
        span: this.span(p),
      };
    },
  );

  varyEntry = this.rule(
    "varyEntry",
    openField,
    (p) => {
      this.tok(p, this.CONSUME(T.Vary));
      this.kid(p, "path", this.SUBRULE(this.path));
      this.tok(p, this.CONSUME(T.Colon));
      this.kid(p, "value", this.SUBRULE(this.value));
    },
    (p): A.VaryEntry | undefined => {
      if (!p.path) return this.drop();
      const span = this.span(p);
      return { kind: "vary", path: p.path, value: p.value ?? { kind: "error", span }, span };
    },
  );

  value = this.rule(
    "value",
    openPart,
    (p) => {
      this.OR([
        {
          ALT: () => {
            this.OPTION(() => (p.minus = this.tok(p, this.CONSUME(T.Minus))));
            this.literal(p, this.CONSUME(T.NumberLiteral), "number");
            // A weighted source: `45% webdataset("...")`.
            this.OPTION2({
              GATE: () => this.LA(2).tokenType === T.LParen,
              DEF: () => this.kid(p, "call", this.SUBRULE(this.call)),
            });
          },
        },
        { ALT: () => this.literal(p, this.CONSUME(T.Ratio), "ratio") },
        { ALT: () => this.literal(p, this.CONSUME(T.StringLiteral), "string") },
        { ALT: () => this.literal(p, this.CONSUME(T.True), "true") },
        { ALT: () => this.literal(p, this.CONSUME(T.False), "false") },
        { ALT: () => this.kid(p, "list", this.SUBRULE(this.list)) },
        { ALT: () => this.kid(p, "body", this.SUBRULE(this.body)) },
        { ALT: () => this.kid(p, "reference", this.SUBRULE(this.reference)) },
        // The part words `connector` and `llm` as bare values (`freeze: [vision, connector]`).
        { ALT: () => this.literal(p, this.CONSUME(T.Connector), "part") },
        { ALT: () => this.literal(p, this.CONSUME(T.Llm), "part") },
      ]);
    },
    (p): A.Value => {
      const v = this.literals(p, () => this.valueFrom(p));
      // An error value visits none of what it read (as `-` then a call without its number).
      if (v.kind === "error") this.drop();
      return v;
    },
  );

  private literal(p: Rec, t: IToken, lit: Literal): void {
    p.t = this.tok(p, t);
    p.lit = lit;
  }

  private valueFrom(p: Rec): A.Value {
    const span = this.span(p);
    const t = p.t;
    if (t) {
      switch (p.lit) {
        case "number": {
          const n = this.parts.number(t, p.minus);
          return p.call ? { kind: "weighted", weight: n, source: p.call, span } : n;
        }
        case "ratio":
          return this.parts.ratio(t, span);
        case "string":
          return this.parts.string(t);
        case "true":
        case "false":
          return { kind: "bool", value: p.lit === "true", span };
        case "part":
          return { kind: "name", name: this.parts.name(t), span };
      }
    }
    if (p.list) return p.list;
    if (p.body) return { kind: "record", body: p.body, span };
    if (p.value) return p.value; // a reference
    return { kind: "error", span };
  }

  /** Runs `make` with the literals' diagnostics going into `p`'s. */
  private literals<R>(p: Rec, make: () => R): R {
    this.parts.sink = this.scratch;
    const result = make();
    if (this.scratch.length > 0) {
      // The value's own literal comes before what its parts read (`45% name(...)`).
      p.d = p.d ? this.scratch.concat(p.d) : this.scratch.slice();
      this.scratch.length = 0;
    }
    return result;
  }

  call = this.rule(
    "call",
    openPart,
    (p) => {
      p.t = this.tok(p, this.CONSUME(T.Identifier));
      this.kid(p, "args", this.SUBRULE(this.args));
    },
    (p): A.CallValue | undefined => {
      if (!p.t) return this.drop();
      return { kind: "call", callee: this.parts.name(p.t), args: p.args ?? [], span: this.span(p) };
    },
  );

  /** A name, optionally applied: `Tiny`, `ViT { ... }`, `Image[3, 64, 64]`, `swiglu(688)`. */
  reference = this.rule(
    "reference",
    openPart,
    (p) => {
      p.t = this.tok(p, this.CONSUME(T.Identifier));
      this.OPTION(() =>
        this.OR([
          { ALT: () => this.kid(p, "body", this.SUBRULE(this.body)) },
          { ALT: () => this.kid(p, "list", this.SUBRULE(this.list)) },
          { ALT: () => this.kid(p, "args", this.SUBRULE(this.args)) },
        ]),
      );
    },
    (p): A.Value => {
      const span = this.span(p);
      if (!p.t) {
        this.drop();
        return { kind: "error", span };
      }
      const callee = this.parts.name(p.t);
      if (p.body) return { kind: "component", callee, body: p.body, span };
      if (p.list) return { kind: "apply", callee, args: p.list.items, span };
      if (p.args) return { kind: "call", callee, args: p.args, span };
      return { kind: "name", name: callee, span };
    },
  );

  args = this.rule(
    "args",
    openList,
    (p) => {
      this.tok(p, this.CONSUME(T.LParen));
      this.MANY({
        GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
        DEF: () => {
          this.kid(p, "argument", this.SUBRULE(this.argument));
          this.OPTION(() => this.tok(p, this.CONSUME(T.Comma)));
        },
      });
      this.tok(p, this.CONSUME(T.RParen));
    },
    (p): A.Argument[] => (p.items ?? []) as A.Argument[],
  );

  argument = this.rule(
    "argument",
    openPart,
    (p) => {
      this.OPTION({
        GATE: () => this.LA(2).tokenType === T.Colon,
        DEF: () => {
          p.t = this.tok(p, this.CONSUME(T.AnyName));
          this.tok(p, this.CONSUME(T.Colon));
        },
      });
      this.kid(p, "value", this.SUBRULE(this.value));
    },
    (p): A.Argument | undefined => {
      if (!p.value) return this.drop();
      return {
        ...(p.t ? { name: this.parts.name(p.t) } : {}),
        value: p.value,
        span: this.span(p),
      };
    },
  );

  list = this.rule(
    "list",
    openAll,
    (p) => {
      this.tok(p, this.CONSUME(T.LBracket));
      this.MANY({
        GATE: () => !startsDeclaration(this.LA(1).tokenType, this.LA(2).tokenType),
        DEF: () => {
          this.kid(p, "value", this.SUBRULE(this.value));
          this.OPTION(() => this.tok(p, this.CONSUME(T.Comma)));
        },
      });
      this.tok(p, this.CONSUME(T.RBracket));
    },
    (p): A.ListValue => ({
      kind: "list",
      items: (p.items ?? []) as A.Value[],
      span: this.span(p),
    }),
  );
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

let shared: MmParser | undefined;

/**
 * Builds the lexer and the parser with chevrotain's definition checks on, which throw on an
 * ambiguous grammar or a broken token pattern. `mmc` itself skips them (they took about half of
 * starting up); a test runs them instead, so a grammar change cannot skip them.
 */
export function validateGrammar(): void {
  const lexer = new Lexer(T.ALL_TOKENS, { positionTracking: "onlyStart" });
  if (lexer.lexerDefinitionErrors.length > 0)
    throw new Error(lexer.lexerDefinitionErrors.map((e) => e.message).join("\n"));
  new MmParser(true);
}

/** One parser instance is reused: building it runs chevrotain's grammar analysis (~ms). */
function getParser(): MmParser {
  shared ??= new MmParser();
  return shared;
}

export interface ParsedTokens {
  readonly declarations: readonly A.Declaration[];
  /** Tokens at the top level that start no declaration (reported by parse.ts). */
  readonly strays: readonly IToken[];
  /** The literals' diagnostics (malformed numbers, strings, ratios). */
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: IRecognitionException[];
}

export function parseTokens(tokens: IToken[], parts: AstParts): ParsedTokens {
  const parser = getParser();
  parser.parts = parts;
  parser.input = tokens;
  const file = parser.file();
  return {
    declarations: (file.items ?? []) as A.Declaration[],
    strays: file.strays ?? [],
    diagnostics: file.d ?? [],
    errors: [...parser.errors],
  };
}
