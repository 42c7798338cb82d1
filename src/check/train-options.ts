// The optimizer and the learning-rate schedule of a `train` block, read through the block reader
// (block.ts) against their tables in src/spec/settings.ts. Each reports what is wrong and returns
// undefined, so the train checker can go on and report everything in one pass.
import { defaultNumber } from "../spec/fields.js";
import {
  BETA_MAX,
  DEFAULT_BETAS,
  OPTIMIZER_SETTINGS,
  SCHEDULE_KINDS,
  SCHEDULE_SETTINGS,
} from "../spec/settings.js";
import type { Value } from "../syntax/ast.js";
import { num, readBlock, readNumber, type SettingsBlock } from "./block.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import type { OptimizerConfig, ScheduleConfig } from "./ir.js";

const OPTIMIZER_DEFAULT: OptimizerConfig = {
  kind: "AdamW",
  lr: defaultNumber(OPTIMIZER_SETTINGS, "lr"),
  betas: DEFAULT_BETAS,
  weightDecay: defaultNumber(OPTIMIZER_SETTINGS, "weight_decay"),
  eps: defaultNumber(OPTIMIZER_SETTINGS, "eps"),
  clip: defaultNumber(OPTIMIZER_SETTINGS, "clip"),
};

export function optimizer(ctx: CheckContext, v: Value | undefined): OptimizerConfig | undefined {
  if (!v) return OPTIMIZER_DEFAULT;
  if (v.kind !== "component" || v.callee.text !== "AdamW") {
    ctx.report({
      code: "MM2009",
      message: `\`optimizer\` must be \`AdamW { ... }\`, not ${describeValue(v)}`,
      span: v.span,
      help: "write `optimizer: AdamW { lr: 3e-4 }`",
    });
    return undefined;
  }
  const b = readBlock(ctx, "AdamW", v.body, OPTIMIZER_SETTINGS, { path: "optimizer" });
  const lr = readNumber(ctx, b, "lr");
  const weightDecay = readNumber(ctx, b, "weight_decay");
  const eps = readNumber(ctx, b, "eps");
  const clip = readNumber(ctx, b, "clip");
  const betas = readBetas(ctx, b);
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

/** `betas: [0.9, 0.95]`: two numbers, each at least 0 and below 1. */
function readBetas(ctx: CheckContext, b: SettingsBlock): readonly [number, number] | undefined {
  const bv = b.fields.get("betas")?.value;
  if (!bv) return DEFAULT_BETAS;
  const items =
    bv.kind === "list"
      ? bv.items.map((i) => num(ctx, "optimizer.betas", i, { min: 0, max: BETA_MAX }))
      : [];
  if (bv.kind !== "list" || items.length !== 2) {
    ctx.report({
      code: "MM2009",
      message: "`optimizer.betas` must be a list of two numbers",
      span: bv.span,
      help: "write `betas: [0.9, 0.95]`",
    });
    return undefined;
  }
  return items.every((x) => x !== undefined) ? [items[0]!, items[1]!] : undefined;
}

export function schedule(
  ctx: CheckContext,
  v: Value | undefined,
  steps: number | undefined,
): ScheduleConfig | undefined {
  if (!v)
    return {
      kind: SCHEDULE_KINDS.Cosine.kind,
      warmup: defaultNumber(SCHEDULE_SETTINGS, "warmup"),
      final: defaultNumber(SCHEDULE_SETTINGS, "final"),
    };
  const written = v.kind === "component" ? v.callee.text : v.kind === "name" ? v.name.text : "";
  const entry = Object.hasOwn(SCHEDULE_KINDS, written)
    ? SCHEDULE_KINDS[written as keyof typeof SCHEDULE_KINDS]
    : undefined;
  if (!entry) {
    ctx.report({
      code: "MM2009",
      message: `\`schedule\` must be \`Cosine\`, \`Linear\` or \`Constant\`, not ${describeValue(v)}`,
      span: v.span,
      help: "write `schedule: Cosine { warmup: 100, final: 10% }`",
    });
    return undefined;
  }
  const kind = entry.kind;
  const b: SettingsBlock =
    v.kind === "component"
      ? readBlock(ctx, v.callee.text, v.body, SCHEDULE_SETTINGS, {
          path: "schedule",
          only: entry.fields,
        })
      : { table: SCHEDULE_SETTINGS, fields: new Map(), path: "schedule" };
  const warmup = readNumber(ctx, b, "warmup");
  // `Constant` stays at the peak: its final rate is the peak's
  const final = kind === "constant" ? 1 : readNumber(ctx, b, "final");
  if (warmup === undefined || final === undefined) return undefined;
  const w = b.fields.get("warmup");
  if (w && !warmupShorterThanRun(ctx, warmup, steps, w.value)) return undefined;
  return { kind, warmup, final };
}

/** MM5003: a warm-up as long as the run never reaches the peak. */
function warmupShorterThanRun(
  ctx: CheckContext,
  warmup: number,
  steps: number | undefined,
  at: Value,
): boolean {
  if (steps === undefined || warmup < steps) return true;
  ctx.report({
    code: "MM5003",
    message: `the warm-up (${warmup} steps) is not shorter than the run (${steps} steps)`,
    span: at.span,
    help: `use a warm-up below ${steps}, e.g. \`warmup: ${Math.max(0, Math.floor(steps / 10))}\``,
  });
  return false;
}
