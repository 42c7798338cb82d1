// Checking `budget { ... }` bounds against what the components compute: a violated bound is an
// error that shows the bound, the value and the breakdown by part.
import type { ModelSummary, TrainMemory } from "../components/model.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Bound } from "../syntax/ast.js";
import type { BoundEntry } from "./model.js";
import { pathText } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";

export const QUANTITIES = [
  "params",
  "active_params",
  "params.vision",
  "params.connector",
  "params.llm",
  "image_tokens",
  "flops_per_token",
  "train_memory",
  "train_memory_per_device",
] as const;
export type Quantity = (typeof QUANTITIES)[number];

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function humanCount(n: number): string {
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [scale, unit] of units)
    if (Math.abs(n) >= scale) return `${Number((n / scale).toPrecision(4))}${unit}`;
  return String(n);
}

export function humanBytes(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, "TiB"],
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
    [2 ** 10, "KiB"],
  ];
  for (const [scale, unit] of units)
    if (n >= scale) return `${Number((n / scale).toPrecision(4))} ${unit}`;
  return `${n} B`;
}

/** The smallest `4.65B`-style literal that is at least `n`. */
export function ceilCount(n: number): string {
  for (const [scale, unit] of [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ] as const) {
    if (n >= scale) return `${Math.ceil((n / scale) * 100) / 100}${unit}`;
  }
  return String(Math.ceil(n));
}

/** The smallest `110.7GiB`-style literal that is at least `n` bytes. */
export function ceilBytes(n: number): string {
  for (const [scale, unit] of [
    [2 ** 40, "TiB"],
    [2 ** 30, "GiB"],
    [2 ** 20, "MiB"],
    [2 ** 10, "KiB"],
  ] as const) {
    if (n >= scale) return `${Math.ceil((n / scale) * 10) / 10}${unit}`;
  }
  return String(Math.ceil(n));
}

function holds(value: number, op: Bound["op"], limit: number): boolean {
  switch (op) {
    case "<=":
      return value <= limit;
    case "<":
      return value < limit;
    case ">=":
      return value >= limit;
    case ">":
      return value > limit;
    case "==":
      return value === limit;
  }
}

/** Words people reach for that are too far from the quantity's name for a spelling hint. */
const ALIASES: ReadonlyMap<string, Quantity> = new Map<string, Quantity>([
  ["parameters", "params"],
  ["param_count", "params"],
  ["active_parameters", "active_params"],
  ["active", "active_params"],
  ["memory", "train_memory"],
  ["training_memory", "train_memory"],
  ["flops", "flops_per_token"],
  ["tokens", "image_tokens"],
  ["vision_params", "params.vision"],
  ["connector_params", "params.connector"],
  ["llm_params", "params.llm"],
]);

/** The quantity a bound names, or undefined after reporting an unknown one. */
export function boundQuantity(ctx: CheckContext, b: Bound): Quantity | undefined {
  const q = pathText(b.path);
  if ((QUANTITIES as readonly string[]).includes(q)) return q as Quantity;
  const alias = ALIASES.get(q);
  const hint = alias ? `did you mean \`${alias}\`?` : didYouMean(q, QUANTITIES);
  const last = b.path[b.path.length - 1]!;
  ctx.report({
    code: "MM3001",
    message: `unknown budget quantity \`${q}\``,
    span: { ...b.path[0]!.span, end: last.span.end },
    notes: [`budgets can bound ${QUANTITIES.map((x) => `\`${x}\``).join(", ")}`],
    help: hint ?? "bound one of the quantities listed above",
  });
  return undefined;
}

function boundLimit(ctx: CheckContext, b: Bound, q: Quantity): number | undefined {
  const v = b.value;
  if (v.kind !== "number" || Number.isNaN(v.value)) {
    if (v.kind !== "error")
      ctx.report({
        code: "MM2009",
        message: `the bound on \`${q}\` must be a number, not ${describeValue(v)}`,
        span: v.span,
        help: `write e.g. \`${q} <= ${isMemory(q) ? "80GiB" : "7B"}\``,
      });
    return undefined;
  }
  if (v.unit === "percent" || (v.unit === "bytes" && !isMemory(q))) {
    ctx.report({
      code: "MM2009",
      message: `the bound on \`${q}\` cannot be ${describeValue(v)}`,
      span: v.span,
      help: isMemory(q)
        ? "write a byte size such as `80GiB`"
        : "write a count such as `7B` or `20M`",
    });
    return undefined;
  }
  return v.value;
}

export interface BudgetSubject {
  readonly modelName: string;
  readonly summary: ModelSummary;
  /** Present when checking `train_memory` for one `train`. */
  readonly memory?: {
    readonly train: string;
    readonly detail: TrainMemory;
    readonly batch: number;
    readonly sequence: number;
    readonly devices: number;
    readonly perDevice: TrainMemory;
  };
}

/** The byte quantities: bounded per train, shown as sizes. */
function isMemory(q: Quantity): q is "train_memory" | "train_memory_per_device" {
  return q === "train_memory" || q === "train_memory_per_device";
}

function valueOf(q: Quantity, s: BudgetSubject): number | undefined {
  const p = s.summary.parts;
  switch (q) {
    case "params":
      return s.summary.params;
    case "active_params":
      return s.summary.activeParams;
    case "params.vision":
      return p.vision?.params ?? 0;
    case "params.connector":
      return p.connector?.params ?? 0;
    case "params.llm":
      return p.llm.params;
    case "image_tokens":
      return s.summary.imageTokens;
    case "flops_per_token":
      return s.summary.flopsPerToken;
    case "train_memory":
      return s.memory?.detail.total;
    case "train_memory_per_device":
      return s.memory?.perDevice.total;
  }
}

function breakdown(q: Quantity, s: BudgetSubject): string[] {
  const p = s.summary.parts;
  const parts = [p.vision, p.connector, p.llm].filter((x) => x !== undefined);
  if (q === "train_memory_per_device" && s.memory) {
    const m = s.memory.perDevice;
    return [
      `for \`train ${s.memory.train}\` on each of ${s.memory.devices} device${s.memory.devices === 1 ? "" : "s"} (${s.memory.batch / s.memory.devices} of the batch's ${s.memory.batch} sequences, sequence ${s.memory.sequence}, ${m.precision}; weights, gradients and AdamW state sharded): weights ${humanBytes(m.weights)} + gradients ${humanBytes(m.gradients)} + AdamW state ${humanBytes(m.optimizer)} + activations ${humanBytes(m.activations)} = ${humanBytes(m.total)}`,
    ];
  }
  if (q === "train_memory" && s.memory) {
    const m = s.memory.detail;
    return [
      `for \`train ${s.memory.train}\` (batch ${s.memory.batch}, sequence ${s.memory.sequence}, ${m.precision}): weights ${humanBytes(m.weights)} + gradients ${humanBytes(m.gradients)} + AdamW state ${humanBytes(m.optimizer)} + activations ${humanBytes(m.activations)} = ${humanBytes(m.total)}`,
    ];
  }
  if (q === "params" || q === "active_params" || q.startsWith("params.")) {
    const field = q === "active_params" ? "activeParams" : "params";
    return [
      `by part: ${parts.map((x) => `${x.part} (\`${x.kind}\`) ${formatCount(x[field])}`).join(", ")}`,
    ];
  }
  if (q === "image_tokens" && p.connector && s.summary.encoderPasses > 1)
    return [
      `a tiled image takes up to ${s.summary.encoderPasses} encoder passes (the largest grid's crops and the overview) of ${s.summary.tokensPerCrop} tokens each from the connector \`${p.connector.kind}\``,
    ];
  if (q === "image_tokens" && p.connector)
    return [
      `the connector \`${p.connector.kind}\` makes ${s.summary.imageTokens} tokens per image`,
    ];
  if (q === "flops_per_token")
    return [`the language model's forward pass at full context (a multiply-add counts 2 FLOPs)`];
  return [];
}

function show(q: Quantity, n: number): string {
  if (isMemory(q)) return `${humanBytes(n)} (${formatCount(n)} bytes)`;
  return n < 1000 ? formatCount(n) : `${formatCount(n)} (${humanCount(n)})`;
}

/** What to change: the largest contributor to the quantity, or the bound itself. */
function overHelp(q: Quantity, b: Bound, value: number, s: BudgetSubject, owner: string): string {
  const conn = s.summary.parts.connector;
  if (q === "image_tokens" && conn && s.summary.encoderPasses > 1)
    return "use fewer connector `tokens` per crop, smaller `tiles.grids` or no overview, or change the bound";
  if (q === "image_tokens" && conn && conn.kind !== "MLPProjector" && b.value.kind === "number")
    return `write \`connector.tokens: ${b.value.text}\`${b.op === "==" ? "" : " (or a count that meets the bound)"}, or change the bound`;
  if (b.op === "==")
    return `change the model so that \`${q}\` is exactly the bound, or write \`${q} == ${isMemory(q) ? ceilBytes(value) : value}\``;
  if (!b.op.startsWith("<")) return "make the model larger, or lower the bound";
  const least = isMemory(q) ? ceilBytes(value) : ceilCount(value);
  const raise =
    owner === s.modelName
      ? `raise the bound to at least \`${least}\``
      : `give \`model ${s.modelName}\` its own \`budget { ${q} <= ${least} }\``;
  if (q === "train_memory_per_device" && s.memory) {
    return `raise \`devices\` in \`train ${s.memory.train}\` (now ${s.memory.devices}), lower \`batch\` or \`sequence\`, use \`precision: bf16\`, or ${raise}`;
  }
  if (q === "train_memory" && s.memory) {
    const m = s.memory.detail;
    const share = Math.round((m.activations / m.total) * 100);
    return `lower \`batch\` or \`sequence\` in \`train ${s.memory.train}\` (activations are ${share}% of it), use \`precision: bf16\`, or ${raise}`;
  }
  if (q === "params" || q === "active_params") {
    const field = q === "active_params" ? "activeParams" : "params";
    const p = s.summary.parts;
    const parts = [p.vision, p.connector, p.llm].filter((x) => x !== undefined);
    const top = parts.reduce((a, x) => (x[field] > a[field] ? x : a));
    return `make a part smaller (the largest is \`${top.part}\`, ${humanCount(top[field])}), or ${raise}`;
  }
  if (q.startsWith("params.")) return `make \`${q.slice("params.".length)}\` smaller, or ${raise}`;
  return `make the model smaller, or ${raise}`;
}

/** Checks bounds against one subject; `train_memory` bounds only when a train is given. */
export function checkBounds(
  ctx: CheckContext,
  bounds: readonly BoundEntry[],
  s: BudgetSubject,
): void {
  for (const { bound: b, owner } of bounds) {
    const q = boundQuantity(ctx, b);
    if (!q) continue;
    if (isMemory(q) !== (s.memory !== undefined)) continue;
    const limit = boundLimit(ctx, b, q);
    const value = valueOf(q, s);
    if (limit === undefined || value === undefined) continue;
    if (holds(value, b.op, limit)) continue;
    ctx.report({
      code: "MM3002",
      message: `\`model ${s.modelName}\` ${b.op.startsWith("<") ? "is over budget" : "does not meet its budget"}: \`${q}\` is ${show(q, value)}, but the budget says \`${q} ${b.op} ${b.value.kind === "number" ? b.value.text : limit}\``,
      span: b.span,
      label: `${q} = ${show(q, value)}`,
      notes: [
        ...breakdown(q, s),
        ...(owner !== s.modelName
          ? [
              `\`model ${s.modelName}\` inherits this bound from \`model ${owner}\`; a \`budget\` in the variant that bounds \`${q}\` replaces it`,
            ]
          : []),
      ],
      help: overHelp(q, b, value, s, owner),
    });
  }
}
