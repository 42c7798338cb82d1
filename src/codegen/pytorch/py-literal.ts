// Python literals for generated code: dicts, lists and tuples laid out as black would (one line
// when it fits, else one item a line with a trailing comma), long strings split into implicitly
// joined pieces. Every string goes through pyString; comments through pyComment.
import type { ConfigValue } from "../../components/types.js";
import { pyComment, pyString } from "../escape-python.js";

/** PEP 8 allows teams up to 99 characters a line; the generated code keeps to that. */
export const LINE_WIDTH = 99;

export type PyNode =
  | { readonly kind: "code"; readonly text: string }
  | { readonly kind: "str"; readonly value: string }
  | { readonly kind: "list" | "tuple"; readonly items: readonly PyNode[] }
  | { readonly kind: "dict"; readonly entries: readonly PyEntry[] };

export interface PyEntry {
  /** A key: always a string, escaped here. */
  readonly key: string;
  readonly value: PyNode;
  /** Comment lines above the entry, as plain text (escaped here, each line whole). */
  readonly comments?: readonly string[];
}

export const code = (text: string): PyNode => ({ kind: "code", text });
export const str = (value: string): PyNode => ({ kind: "str", value });
export const list = (items: readonly PyNode[]): PyNode => ({ kind: "list", items });
export const tuple = (items: readonly PyNode[]): PyNode => ({ kind: "tuple", items });
export const dict = (entries: readonly PyEntry[]): PyNode => ({ kind: "dict", entries });

/** A number as Python reads it: integers with `_` separators past 9,999 (a JS number's text). */
export function pyNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`codegen: ${n} has no Python literal`);
  if (Number.isInteger(n) && Math.abs(n) >= 10_000 && Math.abs(n) < 1e21)
    return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "_");
  return String(n);
}

/** A checked config value: `mlp` calls and nested components become dicts. */
export function configNode(v: ConfigValue): PyNode {
  if (typeof v === "number") return code(pyNumber(v));
  if (typeof v === "boolean") return code(v ? "True" : "False");
  if (typeof v === "string") return str(v);
  if (Array.isArray(v)) return list((v as readonly ConfigValue[]).map(configNode));
  return dict(
    Object.entries(v as Record<string, ConfigValue>).map(([key, x]) => ({
      key,
      value: configNode(x),
    })),
  );
}

function hasComments(n: PyNode): boolean {
  if (n.kind === "dict")
    return n.entries.some((e) => (e.comments?.length ?? 0) > 0 || hasComments(e.value));
  if (n.kind === "list" || n.kind === "tuple") return n.items.some(hasComments);
  return false;
}

function flat(n: PyNode): string {
  switch (n.kind) {
    case "code":
      return n.text;
    case "str":
      return pyString(n.value);
    case "list":
      return `[${n.items.map(flat).join(", ")}]`;
    case "tuple":
      return n.items.length === 1 ? `(${flat(n.items[0]!)},)` : `(${n.items.map(flat).join(", ")})`;
    case "dict":
      return `{${n.entries.map((e) => `${pyString(e.key)}: ${flat(e.value)}`).join(", ")}}`;
  }
}

/**
 * A string too long for its line as pieces that Python joins: split after each line feed and
 * before spaces, each piece escaped whole and at most `room` characters (a word longer than
 * that is split between code points).
 */
function pieces(value: string, room: number): string[] {
  const out: string[] = [];
  let current = "";
  const flush = (): void => {
    if (current !== "") out.push(pyString(current));
    current = "";
  };
  for (const word of value.split(/(?<=\n)|(?= )/u)) {
    if (pyString(current + word).length <= room) {
      current += word;
      continue;
    }
    flush();
    for (const ch of word) {
      if (pyString(current + ch).length > room) flush();
      current += ch;
    }
  }
  flush();
  return out.length > 0 ? out : ['""'];
}

/**
 * Comment lines for `text` at `indent`, wrapped at spaces to the line width (a word longer than a
 * line stays whole); each line escaped whole by pyComment.
 */
export function commentLines(text: string, indent: number): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (line !== "" && pad.length + pyComment(next).length > LINE_WIDTH) {
      out.push(pad + pyComment(line));
      line = word;
    } else line = next;
  }
  out.push(pad + pyComment(line));
  return out;
}

/** `node` at `indent`, after `prefix` (`"key": `) and before `suffix` (`,`) on its first line. */
export function printNode(n: PyNode, indent: number, prefix = "", suffix = ""): string {
  const pad = " ".repeat(indent);
  const one = `${pad}${prefix}${flat(n)}${suffix}`;
  if (!hasComments(n) && one.length <= LINE_WIDTH) return one;
  const inner = " ".repeat(indent + 4);
  if (n.kind === "str") {
    const lines = pieces(n.value, LINE_WIDTH - indent - 4).map((p) => `${inner}${p}`);
    return `${pad}${prefix}(\n${lines.join("\n")}\n${pad})${suffix}`;
  }
  if (n.kind === "code") return one;
  const [open, close] =
    n.kind === "dict" ? ["{", "}"] : n.kind === "list" ? ["[", "]"] : ["(", ")"];
  const body: string[] = [];
  if (n.kind === "dict") {
    for (const e of n.entries) {
      for (const c of e.comments ?? []) body.push(...commentLines(c, indent + 4));
      body.push(printNode(e.value, indent + 4, `${pyString(e.key)}: `, ","));
    }
  } else {
    for (const item of n.items) body.push(printNode(item, indent + 4, "", ","));
  }
  return `${pad}${prefix}${open}\n${body.join("\n")}\n${pad}${close}${suffix}`;
}

/** `NAME = value` at the top level, with comment lines above it. */
export function assignment(name: string, value: PyNode, comments: readonly string[] = []): string {
  return [...comments.flatMap((c) => commentLines(c, 0)), printNode(value, 0, `${name} = `)].join(
    "\n",
  );
}
