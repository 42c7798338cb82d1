// One walk over a module's AST for every feature of the server: it visits declarations, fields,
// component values, budget bounds and the names that refer to declarations, each with the chain
// of bodies it sits in. Which names count as references follows resolve/references.ts (a data
// source's format and a sweep's `report` words are not names).
import {
  pathText,
  type Body,
  type Bound,
  type ComponentValue,
  type Declaration,
  type Field,
  type ImportDecl,
  type Name,
  type RecordValue,
  type Value,
} from "../syntax/ast.js";

export type NamedDecl = Exclude<Declaration, ImportDecl>;

/** What a `{ ... }` body belongs to. */
export type Owner =
  | { readonly t: "decl"; readonly decl: NamedDecl }
  | { readonly t: "component"; readonly value: ComponentValue }
  | { readonly t: "record"; readonly value: RecordValue };

export interface Frame {
  readonly owner: Owner;
  /** Field path from the declaration to this body: `["connector"]` in `connector: AvgPool { ... }`. */
  readonly path: readonly string[];
}

/** Where a referring name stands. */
export type RefRole = "value" | "callee" | "base" | "import";

export interface Visitor {
  decl?(decl: Declaration): void;
  /**
   * A name that may refer to a declaration (the caller looks it up in the module's scope);
   * `path` is the field path of the value it is in (`["connector"]` for `connector: AvgPool {}`).
   */
  ref?(name: Name, role: RefRole, frames: readonly Frame[], path: readonly string[]): void;
  /** A field (or vary entry) and the body it is in; `path` is its full path from the declaration. */
  field?(field: Field, path: readonly string[], frames: readonly Frame[]): void;
  component?(value: ComponentValue, path: readonly string[], frames: readonly Frame[]): void;
  bound?(bound: Bound, frames: readonly Frame[]): void;
}

export function walkDeclarations(declarations: readonly Declaration[], v: Visitor): void {
  for (const d of declarations) {
    v.decl?.(d);
    if (d.kind === "import") {
      for (const n of d.names) v.ref?.(n, "import", [], []);
      continue;
    }
    const root: Frame = { owner: { t: "decl", decl: d }, path: [] };
    if (d.kind === "preset") {
      walkValue(d.value, [], [root], v, false);
      continue;
    }
    if (d.base) v.ref?.(d.base, "base", [root], []);
    walkBody(d.body, [root], v, d.kind === "data", d.kind === "sweep");
  }
}

function walkBody(
  body: Body,
  frames: readonly Frame[],
  v: Visitor,
  dataBlock = false,
  sweepBlock = false,
): void {
  const here = frames[frames.length - 1]!;
  for (const m of body.members) {
    if (m.kind === "budget") {
      for (const b of m.bounds) {
        v.bound?.(b, frames);
        walkValue(b.value, here.path, frames, v, false);
      }
      continue;
    }
    const path = [...here.path, ...m.path.map((p) => p.text)];
    if (m.kind === "field") v.field?.(m, path, frames);
    else v.field?.({ kind: "field", path: m.path, value: m.value, span: m.span }, path, frames);
    // A sweep's `report` lists metric words, not names.
    if (sweepBlock && m.kind === "field" && pathText(m.path) === "report") continue;
    walkValue(m.value, path, frames, v, dataBlock);
  }
}

function walkValue(
  value: Value,
  path: readonly string[],
  frames: readonly Frame[],
  v: Visitor,
  dataSource: boolean,
): void {
  switch (value.kind) {
    case "name":
      v.ref?.(value.name, "value", frames, path);
      return;
    case "component": {
      v.ref?.(value.callee, "callee", frames, path);
      v.component?.(value, path, frames);
      walkBody(value.body, [...frames, { owner: { t: "component", value }, path }], v);
      return;
    }
    case "apply":
      v.ref?.(value.callee, "callee", frames, path);
      for (const a of value.args) walkValue(a, path, frames, v, false);
      return;
    case "call":
      // In a data block the callee is a format (`jsonl`), which the checker names, not the resolver.
      if (!dataSource) v.ref?.(value.callee, "callee", frames, path);
      for (const a of value.args) walkValue(a.value, path, frames, v, false);
      return;
    case "weighted":
      walkValue(value.source, path, frames, v, dataSource);
      return;
    case "list":
      for (const item of value.items) walkValue(item, path, frames, v, false);
      return;
    case "record":
      walkBody(value.body, [...frames, { owner: { t: "record", value }, path }], v);
      return;
    default:
      return;
  }
}

/** The declaration a frame chain starts from. */
export function rootDecl(frames: readonly Frame[]): NamedDecl | undefined {
  const first = frames[0]?.owner;
  return first?.t === "decl" ? first.decl : undefined;
}

export function contains(span: { start: number; end: number }, offset: number): boolean {
  return offset >= span.start && offset <= span.end;
}
