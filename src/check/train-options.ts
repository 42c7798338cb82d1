// Readers for the values inside a `train` block: bounded numbers, `{ ... }` records with known
// fields, the optimizer and the learning-rate schedule. Each reports what is wrong and returns
// undefined, so the train checker can go on and report everything in one pass.
import { LIMITS, WHOLE_LIMIT, limitText, type Limit } from "../components/limits.js";
import { didYouMean } from "../diagnostics/suggest.js";
import { pathText, type Body, type Field, type Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import type { OptimizerConfig, ScheduleConfig } from "./ir.js";
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
export function record(
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

export function optimizer(ctx: CheckContext, v: Value | undefined): OptimizerConfig | undefined {
  const dflt: OptimizerConfig = {
    kind: "AdamW",
    lr: 3e-4,
    betas: [0.9, 0.95],
    weightDecay: 0.1,
    eps: 1e-8,
    clip: 1.0,
  };
  if (!v) return dflt;
  if (v.kind !== "component" || v.callee.text !== "AdamW") {
    ctx.report({
      code: "MM2009",
      message: `\`optimizer\` must be \`AdamW { ... }\`, not ${describeValue(v)}`,
      span: v.span,
      help: "write `optimizer: AdamW { lr: 3e-4 }`",
    });
    return undefined;
  }
  const f = record(ctx, "AdamW", v.body, ["lr", "betas", "weight_decay", "eps", "clip"]);
  const get = (k: string, r: Num, d: number) => {
    const fv = f.get(k);
    return fv ? num(ctx, `optimizer.${k}`, fv.value, r) : d;
  };
  const lr = get("lr", { exclusiveMin: 0, max: 10 }, dflt.lr);
  const weightDecay = get("weight_decay", { min: 0 }, dflt.weightDecay);
  const eps = get("eps", { exclusiveMin: 0 }, dflt.eps);
  const clip = get("clip", { min: 0 }, dflt.clip);
  let betas: [number, number] | undefined = [0.9, 0.95];
  const bv = f.get("betas")?.value;
  if (bv) {
    const items =
      bv.kind === "list"
        ? bv.items.map((i) => num(ctx, "optimizer.betas", i, { min: 0, max: 0.999999 }))
        : [];
    if (bv.kind !== "list" || items.length !== 2) {
      ctx.report({
        code: "MM2009",
        message: "`optimizer.betas` must be a list of two numbers",
        span: bv.span,
        help: "write `betas: [0.9, 0.95]`",
      });
      betas = undefined;
    } else betas = items.every((x) => x !== undefined) ? [items[0]!, items[1]!] : undefined;
  }
  if (
    lr === undefined ||
    weightDecay === undefined ||
    eps === undefined ||
    clip === undefined ||
    !betas
  )
    return undefined;
  return { kind: "AdamW", lr, betas, weightDecay, eps, clip };
}

const SCHEDULES: Record<string, ScheduleConfig["kind"]> = {
  Cosine: "cosine",
  Linear: "linear",
  Constant: "constant",
};

export function schedule(
  ctx: CheckContext,
  v: Value | undefined,
  steps: number | undefined,
): ScheduleConfig | undefined {
  if (!v) return { kind: "cosine", warmup: 0, final: 0.1 };
  const kind =
    v.kind === "component" || v.kind === "name"
      ? SCHEDULES[v.kind === "component" ? v.callee.text : v.name.text]
      : undefined;
  if (!kind) {
    ctx.report({
      code: "MM2009",
      message: `\`schedule\` must be \`Cosine\`, \`Linear\` or \`Constant\`, not ${describeValue(v)}`,
      span: v.span,
      help: "write `schedule: Cosine { warmup: 100, final: 10% }`",
    });
    return undefined;
  }
  const f =
    v.kind === "component"
      ? record(ctx, v.callee.text, v.body, kind === "constant" ? ["warmup"] : ["warmup", "final"])
      : new Map<string, Field>();
  const w = f.get("warmup");
  const warmup = w
    ? num(ctx, "schedule.warmup", w.value, { int: true, min: 0, limit: LIMITS.steps })
    : 0;
  const fin = f.get("final");
  const final = fin
    ? num(ctx, "schedule.final", fin.value, { min: 0, max: 1, percent: true })
    : kind === "constant"
      ? 1
      : 0.1;
  if (warmup === undefined || final === undefined) return undefined;
  if (w && steps !== undefined && warmup >= steps) {
    ctx.report({
      code: "MM5003",
      message: `the warm-up (${warmup} steps) is not shorter than the run (${steps} steps)`,
      span: w.value.span,
      help: `use a warm-up below ${steps}, e.g. \`warmup: ${Math.max(0, Math.floor(steps / 10))}\``,
    });
    return undefined;
  }
  return { kind, warmup, final };
}
