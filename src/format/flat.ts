// The items between a pair of brackets, and the flat (one-line) text of each: what the printer
// writes for a node when nothing in it breaks, and what it measures to decide.
import type * as A from "../syntax/ast.js";
import { pathText } from "../syntax/ast.js";
import { FormatterBug } from "./writer.js";

/** Something that sits between a pair of brackets, separated from its neighbours by commas. */
export type Item =
  | { readonly kind: "member"; readonly node: A.Member }
  | { readonly kind: "bound"; readonly node: A.Bound }
  | { readonly kind: "value"; readonly node: A.Value }
  | { readonly kind: "arg"; readonly node: A.Argument }
  | { readonly kind: "name"; readonly node: A.Name };

/**
 * `body`: fields, flat as `{ a: 1 }`, no comma at the end of a broken line (a line break
 * separates fields). The others end every broken line with a comma.
 */
export type Brackets = "body" | "list" | "args" | "names";

export interface Container {
  readonly brackets: Brackets;
  /** Offset of the opening bracket; the closing one is at `close`. */
  readonly open: number;
  readonly close: number;
  readonly items: readonly Item[];
}

export const BRACKETS: Record<Brackets, readonly [string, string]> = {
  body: ["{", "}"],
  names: ["{", "}"],
  list: ["[", "]"],
  args: ["(", ")"],
};

/**
 * `name:` of a field with a weighted source (`caption: 45% webdataset(...)`): alone on their
 * lines, such fields are the rows of a table, and the writer aligns their values.
 */
export function tableKey(item: Item): string | undefined {
  if (item.kind !== "member" || item.node.kind !== "field" || item.node.value.kind !== "weighted")
    return undefined;
  return `${pathText(item.node.path)}:`;
}

export function itemSpan(item: Item): { start: number; end: number } {
  return item.node.span;
}

export function flatContainer(c: Container, text: string): string {
  const [open, close] = BRACKETS[c.brackets];
  if (c.items.length === 0) return `${open}${close}`;
  const inner = c.items.map((i) => flatItem(i, text)).join(", ");
  return c.brackets === "body" || c.brackets === "names"
    ? `${open} ${inner} ${close}`
    : `${open}${inner}${close}`;
}

export function flatItem(item: Item, text: string): string {
  switch (item.kind) {
    case "member":
      return flatMember(item.node, text);
    case "bound":
      return flatBound(item.node, text);
    case "value":
      return flatValue(item.node, text);
    case "arg":
      return `${item.node.name ? `${item.node.name.text}: ` : ""}${flatValue(item.node.value, text)}`;
    case "name":
      return item.node.text;
  }
}

function flatMember(m: A.Member, text: string): string {
  switch (m.kind) {
    case "field":
      return `${pathText(m.path)}: ${flatValue(m.value, text)}`;
    case "vary":
      return `vary ${pathText(m.path)}: ${flatValue(m.value, text)}`;
    case "budget":
      return `budget ${flatBraces(m.bounds.map((b) => flatBound(b, text)))}`;
  }
}

function flatBound(b: A.Bound, text: string): string {
  return `${pathText(b.path)} ${b.op} ${flatValue(b.value, text)}`;
}

function flatBraces(inner: readonly string[]): string {
  return inner.length ? `{ ${inner.join(", ")} }` : "{}";
}

function flatValue(v: A.Value, text: string): string {
  switch (v.kind) {
    case "number":
    case "ratio":
      return v.text;
    case "string":
    case "bool":
      return text.slice(v.span.start, v.span.end);
    case "name":
      return v.name.text;
    case "component":
      return `${v.callee.text} ${flatBraces(v.body.members.map((m) => flatMember(m, text)))}`;
    case "apply":
      return `${v.callee.text}[${v.args.map((a) => flatValue(a, text)).join(", ")}]`;
    case "call":
      return `${v.callee.text}(${v.args.map((a) => flatItem({ kind: "arg", node: a }, text)).join(", ")})`;
    case "weighted":
      return `${v.weight.text} ${flatValue(v.source, text)}`;
    case "list":
      return `[${v.items.map((i) => flatValue(i, text)).join(", ")}]`;
    case "record":
      return flatBraces(v.body.members.map((m) => flatMember(m, text)));
    case "error":
      throw new FormatterBug("an error value in a file without syntax errors");
  }
}
