// The AST: source-shaped, typed, with a half-open span on every node. Resolved facts (what a
// name refers to, shapes, counts) live in later representations, never here.
import type { Span } from "../source/source-file.js";
import type { PresetKeyword } from "./tokens.js";

export interface Name {
  readonly text: string;
  readonly span: Span;
}

export interface SourceAst {
  readonly path: string;
  readonly declarations: readonly Declaration[];
  readonly span: Span;
}

export type Declaration = ImportDecl | PresetDecl | ModelDecl | BlockDecl;

export interface ImportDecl {
  readonly kind: "import";
  readonly names: readonly Name[];
  /** The module specifier as written (`std/encoders`, `./parts.mm`). */
  readonly from: StringValue;
  readonly span: Span;
}

interface Documented {
  /** Text of the `///` doc comments right above the declaration, without the slashes. */
  readonly doc?: string;
}

export interface PresetDecl extends Documented {
  readonly kind: "preset";
  readonly role: PresetKeyword;
  readonly keywordSpan: Span;
  readonly name: Name;
  readonly value: Value;
  readonly span: Span;
}

export interface ModelDecl extends Documented {
  readonly kind: "model";
  readonly name: Name;
  /** `model B = A { ... }`: the model this one varies. */
  readonly base?: Name;
  readonly body: Body;
  readonly span: Span;
}

export interface BlockDecl extends Documented {
  readonly kind: "data" | "train" | "sweep";
  readonly name: Name;
  /** `data B = A { ... }`: the declaration this one varies (its fields are replaced by name). */
  readonly base?: Name;
  readonly body: Body;
  readonly span: Span;
}

export interface Body {
  readonly members: readonly Member[];
  /** From `{` to `}` inclusive. */
  readonly span: Span;
}

export type Member = Field | BudgetBlock | VaryEntry;

export interface Field {
  readonly kind: "field";
  /** A dotted path: `tokens` or `connector.tokens`. */
  readonly path: readonly Name[];
  readonly value: Value;
  readonly span: Span;
}

export type CompareOp = "<=" | "<" | ">=" | ">" | "==";

export interface Bound {
  readonly path: readonly Name[];
  readonly op: CompareOp;
  readonly opSpan: Span;
  readonly value: Value;
  readonly span: Span;
}

export interface BudgetBlock {
  readonly kind: "budget";
  readonly bounds: readonly Bound[];
  readonly span: Span;
}

export interface VaryEntry {
  readonly kind: "vary";
  readonly path: readonly Name[];
  readonly value: Value;
  readonly span: Span;
}

export type NumberUnit = "none" | "scale" | "percent" | "bytes";

export interface NumberValue {
  readonly kind: "number";
  /** The value with its unit applied: `124M` is 124e6, `45%` is 0.45, `2KiB` is 2048. */
  readonly value: number;
  readonly unit: NumberUnit;
  readonly text: string;
  readonly span: Span;
}

export interface RatioValue {
  readonly kind: "ratio";
  readonly parts: readonly number[];
  readonly text: string;
  readonly span: Span;
}

export interface StringValue {
  readonly kind: "string";
  readonly value: string;
  readonly span: Span;
}

export interface BoolValue {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}

/** A bare name: a reference to a declaration, or an enum word such as `rms`. */
export interface NameValue {
  readonly kind: "name";
  readonly name: Name;
  readonly span: Span;
}

/** `ViT { patch: 16 }`, `tiny { steps: 200 }`: a kind or preset with fields. */
export interface ComponentValue {
  readonly kind: "component";
  readonly callee: Name;
  readonly body: Body;
  readonly span: Span;
}

/** `Image[3, 224, 224]`. */
export interface ApplyValue {
  readonly kind: "apply";
  readonly callee: Name;
  readonly args: readonly Value[];
  readonly span: Span;
}

export interface Argument {
  readonly name?: Name;
  readonly value: Value;
  readonly span: Span;
}

/** `swiglu(688)`, `jsonl("text.jsonl", field: "text")`. */
export interface CallValue {
  readonly kind: "call";
  readonly callee: Name;
  readonly args: readonly Argument[];
  readonly span: Span;
}

/** `45% webdataset("...")`: a data source with its weight. */
export interface WeightedValue {
  readonly kind: "weighted";
  readonly weight: NumberValue;
  readonly source: CallValue;
  readonly span: Span;
}

export interface ListValue {
  readonly kind: "list";
  readonly items: readonly Value[];
  readonly span: Span;
}

export interface RecordValue {
  readonly kind: "record";
  readonly body: Body;
  readonly span: Span;
}

/** A value the parser could not read; its error is already reported. */
export interface ErrorValue {
  readonly kind: "error";
  readonly span: Span;
}

export type Value =
  | NumberValue
  | RatioValue
  | StringValue
  | BoolValue
  | NameValue
  | ComponentValue
  | ApplyValue
  | CallValue
  | WeightedValue
  | ListValue
  | RecordValue
  | ErrorValue;

export function pathText(path: readonly Name[]): string {
  return path.map((p) => p.text).join(".");
}
