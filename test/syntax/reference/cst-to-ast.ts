// The reference for test/syntax/cst-parity.test.ts: mmc's earlier syntax-tree-to-AST step, which
// walked chevrotain's CST (partial after error recovery) and built the typed AST. The leaves
// (names, literals, doc comments) come from the parser's own ast-parts.ts; the tree, what error
// recovery leaves of it, and the spans are this walker's.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type { SourceFile, Span } from "../../../src/source/source-file.js";
import type { Diagnostic } from "../../../src/diagnostics/diagnostic.js";
import type * as A from "../../../src/syntax/ast.js";
import type { AstParts } from "../../../src/syntax/ast-parts.js";
import type { PresetKeyword } from "../../../src/syntax/tokens.js";

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly source: SourceFile;

  constructor(private readonly parts: AstParts) {
    this.source = parts.source;
    parts.sink = this.diagnostics;
  }

  file(cst: CstNode): A.SourceAst {
    const declarations: A.Declaration[] = [];
    for (const node of nodes(cst, "declaration")) {
      const d = this.declaration(node);
      if (d) declarations.push(d);
    }
    return {
      path: this.source.path,
      declarations,
      span: this.source.span(0, this.source.text.length),
    };
  }

  private declaration(cst: CstNode): A.Declaration | undefined {
    const inner = firstNode(cst);
    if (!inner) return undefined;
    switch (inner.name) {
      case "importDecl":
        return this.importDecl(inner);
      case "presetDecl":
        return this.presetDecl(inner);
      case "modelDecl":
        return this.modelDecl(inner);
      case "blockDecl":
        return this.blockDecl(inner);
      default:
        return undefined;
    }
  }

  private importDecl(cst: CstNode): A.ImportDecl | undefined {
    const str = tok(cst, "StringLiteral");
    if (!str) return undefined;
    return {
      kind: "import",
      names: toks(cst, "Identifier").map((t) => this.name(t)),
      from: this.string(str),
      span: this.nodeSpan(cst),
    };
  }

  private presetDecl(cst: CstNode): A.PresetDecl | undefined {
    const kw =
      tok(cst, "Kw_encoder") ??
      tok(cst, "Kw_connector") ??
      tok(cst, "Kw_llm") ??
      tok(cst, "Kw_moe");
    const id = tok(cst, "Identifier");
    const valueNode = node(cst, "value");
    if (!kw || !id) return undefined;
    const span = this.nodeSpan(cst);
    return {
      kind: "preset",
      role: kw.image as PresetKeyword,
      keywordSpan: this.tokenSpan(kw),
      name: this.name(id),
      value: valueNode ? this.value(valueNode) : { kind: "error", span: this.tokenSpan(id) },
      span,
      ...this.doc(span),
    };
  }

  private modelDecl(cst: CstNode): A.ModelDecl | undefined {
    const ids = toks(cst, "Identifier");
    const bodyNode = node(cst, "body");
    const [id, base] = ids;
    if (!id) return undefined;
    const span = this.nodeSpan(cst);
    return {
      kind: "model",
      name: this.name(id),
      ...(base ? { base: this.name(base) } : {}),
      body: bodyNode ? this.body(bodyNode) : { members: [], span: this.tokenSpan(id) },
      span,
      ...this.doc(span),
    };
  }

  private blockDecl(cst: CstNode): A.BlockDecl | undefined {
    const kw = tok(cst, "Kw_data") ?? tok(cst, "Kw_train") ?? tok(cst, "Kw_sweep");
    const [id, base] = toks(cst, "Identifier");
    const bodyNode = node(cst, "body");
    if (!kw || !id) return undefined;
    const span = this.nodeSpan(cst);
    return {
      kind: kw.image as "data" | "train" | "sweep",
      name: this.name(id),
      ...(base ? { base: this.name(base) } : {}),
      body: bodyNode ? this.body(bodyNode) : { members: [], span: this.tokenSpan(id) },
      span,
      ...this.doc(span),
    };
  }

  private body(cst: CstNode): A.Body {
    const members: A.Member[] = [];
    for (const m of nodes(cst, "member")) {
      const inner = firstNode(m);
      if (!inner) continue;
      const member =
        inner.name === "budgetBlock"
          ? this.budget(inner)
          : inner.name === "varyEntry"
            ? this.vary(inner)
            : this.field(inner);
      if (member) members.push(member);
    }
    return { members, span: this.nodeSpan(cst) };
  }

  private field(cst: CstNode): A.Field | undefined {
    const pathNode = node(cst, "path");
    const valueNode = node(cst, "value");
    if (!pathNode) return undefined;
    const path = this.path(pathNode);
    if (path.length === 0) return undefined;
    const span = this.nodeSpan(cst);
    return {
      kind: "field",
      path,
      value: valueNode ? this.value(valueNode) : { kind: "error", span },
      span,
    };
  }

  private path(cst: CstNode): A.Name[] {
    return toks(cst, "AnyName").map((t) => this.name(t));
  }

  private budget(cst: CstNode): A.BudgetBlock {
    const bounds: A.Bound[] = [];
    for (const b of nodes(cst, "bound")) {
      const pathNode = node(b, "path");
      const op = tok(b, "Compare");
      const valueNode = node(b, "value");
      if (!pathNode || !op || !valueNode) continue;
      const path = this.path(pathNode);
      if (path.length === 0) continue;
      bounds.push({
        path,
        op: op.image as A.CompareOp,
        opSpan: this.tokenSpan(op),
        value: this.value(valueNode),
        span: this.nodeSpan(b),
      });
    }
    return { kind: "budget", bounds, span: this.nodeSpan(cst) };
  }

  private vary(cst: CstNode): A.VaryEntry | undefined {
    const pathNode = node(cst, "path");
    const valueNode = node(cst, "value");
    if (!pathNode) return undefined;
    const span = this.nodeSpan(cst);
    return {
      kind: "vary",
      path: this.path(pathNode),
      value: valueNode ? this.value(valueNode) : { kind: "error", span },
      span,
    };
  }

  value(cst: CstNode): A.Value {
    const span = this.nodeSpan(cst);
    const num = tok(cst, "NumberLiteral");
    if (num) {
      const n = this.number(num, tok(cst, "Minus"));
      const callNode = node(cst, "call");
      const source = callNode ? this.call(callNode) : undefined;
      return source ? { kind: "weighted", weight: n, source, span } : n;
    }
    const ratio = tok(cst, "Ratio");
    if (ratio) return this.parts.ratio(ratio, span);
    const str = tok(cst, "StringLiteral");
    if (str) return this.string(str);
    if (tok(cst, "Kw_true")) return { kind: "bool", value: true, span };
    if (tok(cst, "Kw_false")) return { kind: "bool", value: false, span };
    const listNode = node(cst, "list");
    if (listNode) return this.list(listNode);
    const bodyNode = node(cst, "body");
    if (bodyNode) return { kind: "record", body: this.body(bodyNode), span };
    const refNode = node(cst, "reference");
    if (refNode) return this.reference(refNode);
    const part = tok(cst, "Kw_connector") ?? tok(cst, "Kw_llm");
    if (part) return { kind: "name", name: this.name(part), span };
    return { kind: "error", span };
  }

  private reference(cst: CstNode): A.Value {
    const id = tok(cst, "Identifier");
    const span = this.nodeSpan(cst);
    if (!id) return { kind: "error", span };
    const callee = this.name(id);
    const bodyNode = node(cst, "body");
    if (bodyNode) return { kind: "component", callee, body: this.body(bodyNode), span };
    const listNode = node(cst, "list");
    if (listNode) return { kind: "apply", callee, args: this.list(listNode).items, span };
    const argsNode = node(cst, "args");
    if (argsNode) return { kind: "call", callee, args: this.args(argsNode), span };
    return { kind: "name", name: callee, span };
  }

  private call(cst: CstNode): A.CallValue | undefined {
    const id = tok(cst, "Identifier");
    const argsNode = node(cst, "args");
    if (!id) return undefined;
    return {
      kind: "call",
      callee: this.name(id),
      args: argsNode ? this.args(argsNode) : [],
      span: this.nodeSpan(cst),
    };
  }

  private args(cst: CstNode): A.Argument[] {
    const out: A.Argument[] = [];
    for (const a of nodes(cst, "argument")) {
      const valueNode = node(a, "value");
      if (!valueNode) continue;
      const nameTok = tok(a, "AnyName");
      out.push({
        ...(nameTok ? { name: this.name(nameTok) } : {}),
        value: this.value(valueNode),
        span: this.nodeSpan(a),
      });
    }
    return out;
  }

  private list(cst: CstNode): A.ListValue {
    return {
      kind: "list",
      items: nodes(cst, "value").map((v) => this.value(v)),
      span: this.nodeSpan(cst),
    };
  }

  private number(t: IToken, minus: IToken | undefined): A.NumberValue {
    return this.parts.number(t, minus);
  }

  private string(t: IToken): A.StringValue {
    return this.parts.string(t);
  }

  private name(t: IToken): A.Name {
    return this.parts.name(t);
  }

  private doc(span: Span): { doc?: string } {
    return this.parts.doc(span);
  }

  private tokenSpan(t: IToken): Span {
    return this.parts.tokenSpan(t);
  }

  private nodeSpan(cst: CstNode): Span {
    const loc = cst.location;
    if (
      loc &&
      Number.isFinite(loc.startOffset) &&
      loc.endOffset !== undefined &&
      Number.isFinite(loc.endOffset)
    ) {
      return this.source.span(loc.startOffset, loc.endOffset + 1);
    }
    let start = Infinity;
    let end = -Infinity;
    const visit = (el: CstElement): void => {
      if ("image" in el) {
        if (!Number.isNaN(el.startOffset)) {
          start = Math.min(start, el.startOffset);
          end = Math.max(end, tokenEnd(el));
        }
        return;
      }
      for (const list of Object.values(el.children)) for (const c of list) visit(c);
    };
    visit(cst);
    if (start === Infinity)
      return this.source.span(this.source.text.length, this.source.text.length);
    return this.source.span(start, end);
  }
}

function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

// A CST key holds only nodes or only tokens; tokens inserted by error recovery have no offset.
function nodes(cst: CstNode, key: string): CstNode[] {
  return (cst.children[key] ?? []) as CstNode[];
}

function node(cst: CstNode, key: string): CstNode | undefined {
  return cst.children[key]?.[0] as CstNode | undefined;
}

function toks(cst: CstNode, key: string): IToken[] {
  const list = (cst.children[key] ?? []) as IToken[];
  return list.some((t) => Number.isNaN(t.startOffset))
    ? list.filter((t) => !Number.isNaN(t.startOffset))
    : list;
}

function tok(cst: CstNode, key: string): IToken | undefined {
  const list = cst.children[key] as IToken[] | undefined;
  if (!list) return undefined;
  for (const t of list) if (!Number.isNaN(t.startOffset)) return t;
  return undefined;
}

function firstNode(cst: CstNode): CstNode | undefined {
  for (const key in cst.children) {
    const first = cst.children[key]?.[0];
    if (first !== undefined && "children" in first) return first;
  }
  return undefined;
}
