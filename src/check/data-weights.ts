// The weights of a `data` block's sources: percentages that must add up to 100%, plain ratios,
// or a `mix: 45:45:10` setting; all normalised to fractions that sum to 1.
import type { Module } from "../resolve/program.js";
import type { BlockDecl, CallValue, Field, NumberValue, Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";

/** A source as written, before its format and path are checked. */
export interface RawSource {
  name: string;
  field: Field;
  weight?: NumberValue;
  call: CallValue;
  /** The module the source is written in: its path is relative to that file's folder. */
  module: Module;
}

/** Normalised weights, or undefined after reporting. */
export function checkWeights(
  ctx: CheckContext,
  decl: BlockDecl,
  raws: RawSource[],
  mix: { parts: readonly number[]; span: Value["span"] } | undefined,
): number[] | undefined {
  const weighted = raws.filter((r) => r.weight);
  if (mix) {
    if (weighted.length > 0) {
      ctx.report({
        code: "MM4002",
        message: "sources have weights and `mix` gives them too",
        span: mix.span,
        secondary: [{ span: weighted[0]!.weight!.span, message: "a weight written on a source" }],
        help: "keep one: either weights on every source, or `mix` alone",
      });
      return undefined;
    }
    if (mix.parts.length !== raws.length) {
      ctx.report({
        code: "MM4008",
        message: `\`mix\` has ${mix.parts.length} parts but \`data ${decl.name.text}\` has ${raws.length} sources`,
        span: mix.span,
        notes: [`the sources, in order: ${raws.map((r) => `\`${r.name}\``).join(", ")}`],
        help: "give one part per source, in the order the sources are written",
      });
      return undefined;
    }
    return normalise(ctx, raws, [...mix.parts]);
  }
  if (weighted.length === 0) {
    if (raws.length === 1) return [1];
    ctx.report({
      code: "MM4002",
      message: `the sources of \`data ${decl.name.text}\` have no weights`,
      span: decl.name.span,
      help: "write a weight before each source (`caption: 45% webdataset(...)`) or add `mix: 45:45:10`",
    });
    return undefined;
  }
  if (weighted.length !== raws.length) {
    const missing = raws.find((r) => !r.weight)!;
    ctx.report({
      code: "MM4002",
      message: `source \`${missing.name}\` has no weight, but other sources do`,
      span: missing.field.span,
      help: "give every source a weight",
    });
    return undefined;
  }
  const percent = raws.filter((r) => r.weight!.unit === "percent");
  if (percent.length !== 0 && percent.length !== raws.length) {
    const plain = raws.find((r) => r.weight!.unit !== "percent")!;
    ctx.report({
      code: "MM4002",
      message: "weights mix percentages and plain ratios",
      span: plain.weight!.span,
      label: "a plain ratio",
      secondary: [{ span: percent[0]!.weight!.span, message: "a percentage" }],
      help: "write every weight as a percentage (adding up to 100%), or every weight as a plain number (a ratio)",
    });
    return undefined;
  }
  const values = raws.map((r) => r.weight!.value);
  if (percent.length > 0) {
    const total = values.reduce((a, b) => a + b, 0);
    if (Math.abs(total - 1) > 1e-9) {
      ctx.report({
        code: "MM4001",
        message: `the weights of \`data ${decl.name.text}\` add up to ${fmtPercent(total)}, not 100%`,
        span: decl.name.span,
        secondary: raws.map((r) => ({ span: r.weight!.span, message: "" })),
        notes: [
          raws.map((r) => `\`${r.name}\` ${r.weight!.text}`).join(" + ") +
            ` = ${fmtPercent(total)}`,
        ],
        help: rebalanceHelp(raws, values, total),
      });
      return undefined;
    }
  }
  return normalise(ctx, raws, values);
}

function normalise(ctx: CheckContext, raws: RawSource[], values: number[]): number[] | undefined {
  for (const [i, v] of values.entries()) {
    const r = raws[i]!;
    if (v < 0 || !Number.isFinite(v)) {
      ctx.report({
        code: "MM2010",
        message: `the weight of \`${r.name}\` must not be negative`,
        span: r.weight?.span ?? r.field.span,
        help: "use 0 or more",
      });
      return undefined;
    }
    if (v === 0)
      ctx.report({
        code: "MM4005",
        severity: "warning",
        message: `source \`${r.name}\` has weight 0 and is never read`,
        span: r.weight?.span ?? r.field.span,
        help: "remove the source, or give it a weight",
      });
  }
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0) {
    ctx.report({
      code: "MM4001",
      message: "all source weights are 0",
      span: raws[0]!.field.span,
      help: "give at least one source a positive weight",
    });
    return undefined;
  }
  return values.map((v) => v / total);
}

/** A concrete edit that makes percentages add up: change the last source that can absorb the difference. */
function rebalanceHelp(raws: RawSource[], values: number[], total: number): string {
  const diff = 1 - total;
  for (let i = raws.length - 1; i >= 0; i--) {
    const next = (values[i] ?? 0) + diff;
    if (next > 1e-9)
      return `write \`${raws[i]!.name}: ${fmtPercent(next)}\` (${diff > 0 ? "adding" : "taking"} ${fmtPercent(Math.abs(diff))}), or change the other weights so that they add up to 100%`;
  }
  return "change the weights so that they add up to 100%";
}

function fmtPercent(x: number): string {
  return `${Number((x * 100).toFixed(6))}%`;
}
