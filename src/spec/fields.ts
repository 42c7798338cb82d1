// The shape of a settings field table: what the checker's block reader (src/check/block.ts), the
// language server's hovers and completion (src/lsp/schema.ts) and the settings reference in
// docs/language.md all read. The component kinds have their own schemas (src/components/); these
// are the blocks that are not components: `train`, `optimizer`, `schedule`, `checkpoint`,
// `eval` and `data`.
import type { Limit } from "../components/limits.js";

/** The value a setting takes, with its range. */
export type SettingType =
  /** A whole number; `limit` is a documented upper bound (over it, the message says why). */
  | { readonly kind: "int"; readonly min?: number; readonly max?: number; readonly limit?: Limit }
  /** A number; `percent` accepts `10%` (read as 0.1). */
  | {
      readonly kind: "number";
      readonly min?: number;
      readonly exclusiveMin?: number;
      readonly max?: number;
      readonly percent?: boolean;
    }
  /** One of a few bare words: `precision: bf16`. */
  | { readonly kind: "word"; readonly words: readonly string[] }
  /** A string; `path`: relative to the spec's folder. */
  | { readonly kind: "string"; readonly path?: boolean }
  /** The name of a declaration: `model: Tiny`. */
  | { readonly kind: "ref"; readonly of: "model" | "data" | "train" }
  /** A nested block with a table of its own: `checkpoint: { every: 100 }`. */
  | { readonly kind: "block"; readonly block: SettingsBlock }
  /** Read by a function of its own (a list, a source, a ratio); `shape` says it in words. */
  | { readonly kind: "special"; readonly shape: string };

/** A setting's default: a value, something derived, required, or none (the feature is off). */
export type SettingDefault =
  | { readonly kind: "value"; readonly value: number | string }
  | { readonly kind: "derived"; readonly from: string }
  | { readonly kind: "required" }
  | { readonly kind: "none"; readonly means: string };

export interface SettingField {
  readonly name: string;
  readonly doc: string;
  readonly type: SettingType;
  readonly default: SettingDefault;
  /** Wrong bare words with a reason of their own (`precision: fp16`). */
  readonly hints?: Readonly<Record<string, string>>;
}

export type SettingsBlock =
  "train" | "optimizer" | "schedule" | "checkpoint" | "eval" | "data" | "captioning" | "vqa";

export type FieldTable = readonly SettingField[];

export function fieldNames(table: FieldTable): readonly string[] {
  return table.map((f) => f.name);
}

export function settingField(table: FieldTable, name: string): SettingField {
  const f = table.find((x) => x.name === name);
  if (!f) throw new Error(`internal: no setting \`${name}\` in its table`);
  return f;
}

/** A setting's fixed default; an internal error when the table gives none. */
export function defaultOf(table: FieldTable, name: string): number | string {
  const d = settingField(table, name).default;
  if (d.kind !== "value") throw new Error(`internal: setting \`${name}\` has no fixed default`);
  return d.value;
}

export function defaultNumber(table: FieldTable, name: string): number {
  const v = defaultOf(table, name);
  if (typeof v !== "number") throw new Error(`internal: setting \`${name}\` is not a number`);
  return v;
}

function show(n: number, percent?: boolean): string {
  return percent ? `${Number((n * 100).toPrecision(6))}%` : String(n);
}

/** A setting's type in words, with its range: "a whole number, at least 1". */
export function describeSetting(t: SettingType): string {
  switch (t.kind) {
    case "int":
    case "number": {
      const parts = [t.kind === "int" ? "a whole number" : "a number"];
      const percent = t.kind === "number" && t.percent;
      if (t.kind === "number" && t.exclusiveMin !== undefined)
        parts.push(`greater than ${show(t.exclusiveMin, percent)}`);
      if (t.min !== undefined) parts.push(`at least ${show(t.min, percent)}`);
      const max = t.max ?? (t.kind === "int" ? t.limit?.max : undefined);
      if (max !== undefined) parts.push(`at most ${show(max, percent)}`);
      return parts.join(", ") + (percent ? " (or a percentage)" : "");
    }
    case "word":
      return t.words.length === 2
        ? `\`${t.words[0]}\` or \`${t.words[1]}\``
        : `${t.words
            .slice(0, -1)
            .map((w) => `\`${w}\``)
            .join(", ")} or \`${t.words[t.words.length - 1]}\``;
    case "string":
      return t.path ? "a string (a path relative to the `.mm` file)" : "a string";
    case "ref":
      return `a \`${t.of}\` name`;
    case "block":
      return `a \`${t.block}\` block`;
    case "special":
      return t.shape;
  }
}

/** A setting's default in words: "`1000`", "the model's `context`", "required". */
export function describeDefault(d: SettingDefault): string {
  switch (d.kind) {
    case "value":
      return typeof d.value === "string" && !/^[A-Za-z_][\w]*$/.test(d.value)
        ? `\`"${d.value}"\``
        : `\`${d.value}\``;
    case "derived":
      return d.from;
    case "required":
      return "required";
    case "none":
      return d.means;
  }
}
