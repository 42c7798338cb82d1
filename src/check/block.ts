// The one reader of settings blocks (`train`, `optimizer`, `schedule`, `checkpoint`, `eval` and
// its benchmark tasks): unknown fields with a did-you-mean, fields given twice, and each value's
// type and range from its field table in src/spec/settings.ts, with the table's default when the
// field is not written. (`data` mixes settings with freely named sources, so data.ts reads its
// own fields and takes only the settings' names from the table.) Checks across fields are small
// named functions next to the block they belong to (train.ts: `sequenceFitsContext`,
// `imagesLeaveRoomForText`, `checkpointsWithinRun`; train-options.ts: `warmupShorterThanRun`).
// Each problem is reported at its value and the reader returns undefined, so the checker goes on
// and reports everything in one pass.
import { WHOLE_LIMIT, limitText, type Limit } from "../components/limits.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { settingField, type FieldTable, type SettingType } from "../spec/fields.js";
import { pathText, type Body, type Field, type Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";

export type Num = {
  min?: number;
  exclusiveMin?: number;
  max?: number;
  int?: boolean;
  percent?: boolean;
  /** A documented upper bound (replaces `max`): over it, the message says why it is there. */
  limit?: Limit;
};

export function num(ctx: CheckContext, where: string, v: Value, r: Num): number | undefined {
  if (v.kind === "error") return undefined;
  if (
    v.kind !== "number" ||
    Number.isNaN(v.value) ||
    v.unit === "bytes" ||
    (v.unit === "percent" && !r.percent)
  ) {
    ctx.report({
      code: "MM2009",
      message: `\`${where}\` must be ${r.int ? "a whole number" : "a number"}, not ${describeValue(v)}`,
      span: v.span,
      help: `write e.g. \`${where.split(".").pop()}: ${r.int ? "100" : "0.1"}\``,
    });
    return undefined;
  }
  const x = v.value;
  // Whole numbers stop at 2^53 - 1 (past it they are not exact), or at a tighter limit.
  const limit = r.limit ?? (r.int && r.max === undefined ? WHOLE_LIMIT : undefined);
  if (limit !== undefined && x > limit.max) {
    ctx.report({
      code: "MM2010",
      message: `\`${where}\` ${v.text} is more than ${limitText(limit.max)}, the most mmc accepts (${limit.why})`,
      span: v.span,
      help: `write \`${where.split(".").pop() ?? where}: ${limitText(limit.max).replace(/,/g, "_")}\` or less`,
    });
    return undefined;
  }
  const bad =
    (r.int && !Number.isInteger(x)) ||
    (r.min !== undefined && x < r.min) ||
    (r.max !== undefined && x > r.max) ||
    (r.exclusiveMin !== undefined && x <= r.exclusiveMin);
  if (bad) {
    const show = (n: number) => (r.percent ? `${Number((n * 100).toPrecision(6))}%` : String(n));
    const parts = [r.int ? "a whole number" : "a number"];
    if (r.min !== undefined) parts.push(`at least ${show(r.min)}`);
    if (r.exclusiveMin !== undefined) parts.push(`greater than ${show(r.exclusiveMin)}`);
    if (r.max !== undefined) parts.push(`at most ${show(r.max)}`);
    const leaf = where.split(".").pop() ?? where;
    const help =
      r.min !== undefined && x < r.min
        ? `write \`${leaf}: ${show(r.min)}\` or more`
        : r.max !== undefined && x > r.max
          ? `write \`${leaf}: ${show(r.max)}\` or less`
          : r.exclusiveMin !== undefined && x <= r.exclusiveMin
            ? `write a value greater than ${show(r.exclusiveMin)}`
            : `write a whole number, e.g. \`${leaf}: ${Math.max(r.min ?? 1, Math.round(x))}\``;
    ctx.report({
      code: "MM2010",
      message: `\`${where}\` is ${v.text}, but it must be ${parts.join(", ")}`,
      span: v.span,
      help,
    });
    return undefined;
  }
  return x;
}

/** Reads a `{ ... }` or `Kind { ... }` body into a field map, reporting unknown and repeated fields. */
export function readFields(
  ctx: CheckContext,
  where: string,
  body: Body,
  allowed: readonly string[],
): Map<string, Field> {
  const out = new Map<string, Field>();
  for (const m of body.members) {
    if (m.kind !== "field") {
      ctx.report({
        code: "MM2007",
        message: `a \`${m.kind}\` block cannot appear in \`${where}\``,
        span: m.span,
        help: "remove it",
      });
      continue;
    }
    const key = pathText(m.path);
    if (!allowed.includes(key)) {
      ctx.report({
        code: "MM2007",
        message: `\`${where}\` has no field \`${key}\``,
        span: m.path[0]!.span,
        notes: [`\`${where}\` has ${allowed.map((a) => `\`${a}\``).join(", ")}`],
        help: didYouMean(key, allowed) ?? "remove it",
      });
      continue;
    }
    const first = out.get(key);
    if (first) {
      ctx.report({
        code: "MM2008",
        message: `\`${where}.${key}\` is given twice`,
        span: m.span,
        secondary: [{ span: first.span, message: "first given here" }],
        help: "remove one of the two",
      });
      continue;
    }
    out.set(key, m);
  }
  return out;
}

/** A block's written fields with the table that types them; `path` prefixes messages (`optimizer`). */
export interface SettingsBlock {
  readonly table: FieldTable;
  readonly fields: ReadonlyMap<string, Field>;
  /** `optimizer.lr` in messages; empty for the train's own fields (`steps`). */
  readonly path: string;
}

/**
 * Reads a `{ ... }` body against its table: reports unknown fields (with the fields the block
 * has and a did-you-mean) and fields given twice. `where` names the block in those messages
 * (`train tiny`, `AdamW`); `path` prefixes the fields in value messages (`optimizer`).
 */
export function readBlock(
  ctx: CheckContext,
  where: string,
  body: Body,
  table: FieldTable,
  o: { path?: string; only?: readonly string[] } = {},
): SettingsBlock {
  const names = o.only ?? table.map((f) => f.name);
  return { table, fields: readFields(ctx, where, body, names), path: o.path ?? "" };
}

/** The range check of a number setting, as `num` takes it. */
export function numRange(t: SettingType): Num {
  if (t.kind === "int")
    return {
      int: true,
      ...(t.min !== undefined ? { min: t.min } : {}),
      ...(t.max !== undefined ? { max: t.max } : {}),
      ...(t.limit !== undefined ? { limit: t.limit } : {}),
    };
  if (t.kind === "number")
    return {
      ...(t.min !== undefined ? { min: t.min } : {}),
      ...(t.exclusiveMin !== undefined ? { exclusiveMin: t.exclusiveMin } : {}),
      ...(t.max !== undefined ? { max: t.max } : {}),
      ...(t.percent ? { percent: true } : {}),
    };
  throw new Error(`internal: a ${t.kind} setting is not a number`);
}

function qualified(b: SettingsBlock, name: string): string {
  return b.path ? `${b.path}.${name}` : name;
}

/**
 * A number setting: its written value checked against the table's type and range, or the
 * table's default when it is not written. Undefined when the value is wrong (reported) or the
 * field is not written and has no fixed default.
 */
export function readNumber(ctx: CheckContext, b: SettingsBlock, name: string): number | undefined {
  const spec = settingField(b.table, name);
  const f = b.fields.get(name);
  if (!f) return spec.default.kind === "value" ? (spec.default.value as number) : undefined;
  return num(ctx, qualified(b, name), f.value, numRange(spec.type));
}

/** A bare-word setting (`precision: bf16`), or the table's default when it is not written. */
export function readWord<W extends string>(
  ctx: CheckContext,
  b: SettingsBlock,
  name: string,
): W | undefined {
  const spec = settingField(b.table, name);
  if (spec.type.kind !== "word") throw new Error(`internal: \`${name}\` is not a word setting`);
  const words = spec.type.words;
  const f = b.fields.get(name);
  if (!f) return spec.default.kind === "value" ? (spec.default.value as W) : undefined;
  const v = f.value;
  if (v.kind === "name" && words.includes(v.name.text)) return v.name.text as W;
  if (v.kind === "error") return undefined;
  const where = qualified(b, name);
  const list = (xs: readonly string[]) =>
    xs.length === 1 ? xs[0]! : `${xs.slice(0, -1).join(", ")} or ${xs[xs.length - 1]}`;
  ctx.report({
    code: "MM2009",
    message: `\`${where}\` must be ${list(words.map((w) => `\`${w}\``))}, not ${describeValue(v)}`,
    span: v.span,
    help:
      (v.kind === "name" ? spec.hints?.[v.name.text] : undefined) ??
      `write ${list(words.map((w) => `\`${name}: ${w}\``))}`,
  });
  return undefined;
}
