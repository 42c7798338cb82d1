// Reading a config against a kind's field schema: apply fixed defaults, check value kinds and
// ranges, normalise `mlp` ints; plus typed accessors the kinds use on resolved configs.
import { DEFAULT_NORM_EPS } from "./blocks.js";
import { LIMITS, WHOLE_LIMIT, overLimitMessage, type Limit } from "./limits.js";
import type {
  Config,
  ConfigValue,
  FieldSpec,
  FieldType,
  MlpFn,
  MlpValue,
  Problem,
} from "./types.js";

/** A mutable field record while a kind fills in its config. */
export type FieldRecord = Record<string, ConfigValue>;

export function isMlpValue(v: ConfigValue | undefined): v is MlpValue {
  // Exactly the two keys: a nested config that happens to have `fn` and `hidden` is not a call.
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).length === 2 &&
    typeof (v as { fn?: unknown }).fn === "string" &&
    typeof (v as { hidden?: unknown }).hidden === "number"
  );
}

export function isConfig(v: ConfigValue | undefined): v is Config {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isMlpValue(v);
}

/** A field type in message words: "an integer", "one of `rms`, `layer`", "an MLP such as `gelu(3072)`". */
export function describeType(t: FieldType): string {
  switch (t.kind) {
    case "int":
      return t.words ? `an integer or ${t.words.map((w) => `\`${w}\``).join(", ")}` : "an integer";
    case "number":
      return "a number";
    case "bool":
      return "`true` or `false`";
    case "enum":
      return `one of ${t.words.map((w) => `\`${w}\``).join(", ")}`;
    case "string":
      return "a string";
    case "mlp":
      return `an MLP such as \`${t.fns[0] ?? "gelu"}(3072)\`${t.plain ? " or a plain integer" : ""}`;
    case "component":
      return `a \`${t.component} { ... }\` component`;
    case "list":
      return `a list of ${t.of === "int" ? "integers" : "numbers"}${t.length ? ` with ${t.length} items` : ""}`;
    case "image":
      return "an image size `Image[channels, height, width]`";
  }
}

function rangeText(min?: number, max?: number, exclusiveMin?: number): string {
  const parts: string[] = [];
  if (exclusiveMin !== undefined) parts.push(`greater than ${exclusiveMin}`);
  if (min !== undefined) parts.push(`at least ${min}`);
  if (max !== undefined) parts.push(`at most ${max}`);
  return parts.join(" and ");
}

/**
 * Check one written value against its field type; returns a problem or undefined. Also returns
 * the normalised value (`mlp: 4096` -> `gelu(4096)`, `every: all` stays the word).
 */
export function checkFieldValue(
  spec: FieldSpec,
  value: ConfigValue,
  path: string = spec.name,
): { value: ConfigValue; problem?: Problem } {
  const t = spec.type;
  const wrong = (): { value: ConfigValue; problem: Problem } => ({
    value,
    problem: {
      code: "MM2009",
      severity: "error",
      message: `\`${path}\` must be ${describeType(t)}`,
      fields: [path],
    },
  });
  const outOfRange = (n: number, min?: number, max?: number, exMin?: number, why?: string) => ({
    value,
    problem: {
      code: "MM2010",
      severity: "error" as const,
      // Over a documented limit, the message says why the limit is there.
      message:
        max !== undefined && why !== undefined && n > max
          ? overLimitMessage(path, n, { max, why })
          : `\`${path}\` is ${n}, but it must be ${rangeText(min, max, exMin)}`,
      fields: [path],
    },
  });
  switch (t.kind) {
    case "int": {
      if (typeof value === "string" && t.words?.includes(value)) return { value };
      if (typeof value !== "number") return wrong();
      if (!Number.isInteger(value)) {
        return {
          value,
          problem: {
            code: "MM2009",
            severity: "error",
            message: `\`${path}\` must be a whole number, not ${value}`,
            fields: [path],
          },
        };
      }
      const max = t.max ?? WHOLE_LIMIT.max;
      const why = t.max === undefined ? WHOLE_LIMIT.why : t.why;
      if ((t.min !== undefined && value < t.min) || value > max)
        return outOfRange(value, t.min, max, undefined, why);
      return { value };
    }
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return wrong();
      if (
        (t.min !== undefined && value < t.min) ||
        (t.max !== undefined && value > t.max) ||
        (t.exclusiveMin !== undefined && value <= t.exclusiveMin)
      )
        return outOfRange(value, t.min, t.max, t.exclusiveMin, t.why);
      return { value };
    }
    case "bool":
      return typeof value === "boolean" ? { value } : wrong();
    case "enum":
    case "string":
      if (typeof value !== "string") return wrong();
      if (t.kind === "enum" && !t.words.includes(value)) return wrong();
      return { value };
    case "mlp": {
      const max = t.max ?? WHOLE_LIMIT.max;
      const why = t.max === undefined ? WHOLE_LIMIT.why : t.why;
      const badHidden = (n: number) => !Number.isInteger(n) || n < 1 || n > max;
      if (typeof value === "number" && t.plain !== undefined) {
        if (badHidden(value)) return outOfRange(value, 1, max, undefined, why);
        const normal: MlpValue = { fn: t.plain, hidden: value };
        return { value: normal };
      }
      if (!isMlpValue(value) || !t.fns.includes(value.fn)) return wrong();
      if (badHidden(value.hidden)) return outOfRange(value.hidden, 1, max, undefined, why);
      return { value };
    }
    case "component":
      return isConfig(value) ? { value } : wrong();
    case "list": {
      if (!Array.isArray(value)) return wrong();
      const items = value as readonly ConfigValue[];
      const bad = items.some(
        (x) => typeof x !== "number" || (t.of === "int" && !Number.isInteger(x)),
      );
      if (bad || (t.length !== undefined && items.length !== t.length)) return wrong();
      return { value };
    }
    case "image": {
      if (!isImageValue(value)) return wrong();
      for (const [i, n] of value.entries()) {
        const limit = i === 0 ? LIMITS.imageChannels : LIMITS.imageSide;
        if (n < 1 || n > limit.max) return outOfRange(n, 1, limit.max, undefined, limit.why);
      }
      return { value };
    }
  }
}

/**
 * Apply fixed defaults and check every written field. Fields not in the schema are left out (the
 * checker reports unknown fields). Inferred and absent fields stay missing for the kind to fill.
 */
export function readFields(
  specs: readonly FieldSpec[],
  config: Config,
): { fields: FieldRecord; problems: Problem[] } {
  const fields: FieldRecord = {};
  const problems: Problem[] = [];
  for (const spec of specs) {
    const written = config[spec.name];
    if (written === undefined) {
      if (spec.default.kind === "value") fields[spec.name] = spec.default.value;
      continue;
    }
    const checked = checkFieldValue(spec, written);
    if (checked.problem) problems.push(checked.problem);
    else fields[spec.name] = checked.value;
  }
  return { fields, problems };
}

/** Internal-error guard: a resolved config lacks a field the kind itself put there. */
function broken(name: string, want: string): never {
  throw new Error(`internal: resolved config field \`${name}\` is not ${want}`);
}

export function getInt(c: Config, name: string): number {
  const v = c[name];
  return typeof v === "number" ? v : broken(name, "a number");
}

/** A number field (integer or real); `getInt` is the same read, named for integer fields. */
export function getNumber(c: Config, name: string): number {
  return getInt(c, name);
}

export function getOptInt(c: Config, name: string): number | undefined {
  const v = c[name];
  if (v === undefined) return undefined;
  return typeof v === "number" ? v : broken(name, "a number");
}

export function getBool(c: Config, name: string): boolean {
  const v = c[name];
  return typeof v === "boolean" ? v : broken(name, "a boolean");
}

export function getWord<W extends string>(c: Config, name: string, words: readonly W[]): W {
  const v = c[name];
  return typeof v === "string" && (words as readonly string[]).includes(v)
    ? (v as W)
    : broken(name, `one of ${words.join(", ")}`);
}

export function getMlp(c: Config, name: string): MlpValue {
  const v = c[name];
  return isMlpValue(v) ? v : broken(name, "an mlp value");
}

export function getConfig(c: Config, name: string): Config | undefined {
  const v = c[name];
  if (v === undefined) return undefined;
  return isConfig(v) ? v : broken(name, "a component");
}

export function getInts(c: Config, name: string): number[] {
  const v = c[name];
  if (!Array.isArray(v)) return broken(name, "a list");
  return (v as readonly ConfigValue[]).map((x) =>
    typeof x === "number" ? x : broken(name, "ints"),
  );
}

export const MLP_FNS: readonly MlpFn[] = ["gelu", "swiglu", "relu"];

/** The fixed default of field `name` in `specs` (undefined for inferred, absent or unknown fields). */
export function fixedDefault(specs: readonly FieldSpec[], name: string): ConfigValue | undefined {
  const d = specs.find((f) => f.name === name)?.default;
  return d?.kind === "value" ? d.value : undefined;
}

/** Shorthand for a fixed default. */
export function dflt(value: ConfigValue): FieldSpec["default"] {
  return { kind: "value", value };
}

/** Shorthand for an inferred field. */
export function inferred(from: string): FieldSpec["default"] {
  return { kind: "inferred", from };
}

export const ABSENT: FieldSpec["default"] = { kind: "absent" };

/** A positive integer field type (at most 2^53 - 1). */
export const POS_INT: FieldType = { kind: "int", min: 1 };

/** An integer from `min` up to a documented limit. */
export function sized(limit: Limit, min = 1): FieldType & { kind: "int" } {
  return { kind: "int", min, max: limit.max, why: limit.why };
}

/** Field types for the sizes every kind shares. */
export const WIDTH = sized(LIMITS.width);
export const DEPTH = sized(LIMITS.depth);
export const HEADS = sized(LIMITS.heads);
export const HIDDEN = sized(LIMITS.hidden);

/**
 * `norm_eps`, the field of every kind with norms (Decoder, ViT, CAbstractor): the eps each of its
 * norms adds, which a pretrained checkpoint fixes (config.json's `rms_norm_eps` or
 * `layer_norm_eps`). In (0, 1]: zero divides a constant row by zero, and published values are far
 * below 1 (LIMITS.normEps). It changes the forward pass, never a count.
 */
export const NORM_EPS_FIELD: FieldSpec = {
  name: "norm_eps",
  doc: "eps each norm adds to the variance (LayerNorm) or mean square (RMSNorm); a checkpoint's `rms_norm_eps` / `layer_norm_eps` (1e-6: Llama-1, Qwen2, SigLIP, timm)",
  type: { kind: "number", exclusiveMin: 0, ...LIMITS.normEps },
  default: dflt(DEFAULT_NORM_EPS),
};

/** A `[channels, height, width]` of whole numbers, as an `image` field holds it. */
export function isImageValue(v: ConfigValue | undefined): v is readonly [number, number, number] {
  return (
    Array.isArray(v) &&
    v.length === 3 &&
    v.every((x) => typeof x === "number" && Number.isInteger(x))
  );
}

export function getOptImage(
  c: Config,
  name: string,
): readonly [number, number, number] | undefined {
  const v = c[name];
  if (v === undefined) return undefined;
  return isImageValue(v) ? v : broken(name, "an image size");
}
