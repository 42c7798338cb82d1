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
  for (const [scale, unit] of [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]] as const) {
    if (n >= scale) return `${Math.ceil((n / scale) * 100) / 100}${unit}`;
  }
  return String(Math.ceil(n));
}

/** The smallest `110.7GiB`-style literal that is at least `n` bytes. */
export function ceilBytes(n: number): string {
  for (const [scale, unit] of [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [2 ** 10, "KiB"]] as const) {
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

/** The quantity a bound names, or undefined after reporting an unknown one. */
export function boundQuantity(ctx: CheckContext, b: Bound): Quantity | undefined {
  const q = pathText(b.path);
  if ((QUANTITIES as readonly string[]).includes(q)) return q as Quantity;
  const hint = didYouMean(q, QUANTITIES);
  ctx.report({
    code: "MM3001",
    message: `unknown budget quantity \`${q}\``,
    span: b.path[0]!.span,
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
        help: `write e.g. \`${q} <= ${q === "train_memory" ? "80GiB" : "7B"}\``,
      });
    return undefined;
  }
  if (v.unit === "percent" || (v.unit === "bytes" && q !== "train_memory")) {
    ctx.report({
      code: "MM2009",
      message: `the bound on \`${q}\` cannot be ${describeValue(v)}`,
      span: v.span,
      help:
        q === "train_memory"
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
  };
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
  }
}

function breakdown(q: Quantity, s: BudgetSubject): string[] {
  const p = s.summary.parts;
  const parts = [p.vision, p.connector, p.llm].filter((x) => x !== undefined);
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
  if (q === "image_tokens" && p.connector)
    return [
      `the connector \`${p.connector.kind}\` makes ${s.summary.imageTokens} tokens per image`,
    ];
  if (q === "flops_per_token")
    return [`the language model's forward pass at full context (a multiply-add counts 2 FLOPs)`];
  return [];
}

function show(q: Quantity, n: number): string {
  return q === "train_memory"
    ? `${humanBytes(n)} (${formatCount(n)} bytes)`
    : `${formatCount(n)} (${humanCount(n)})`;
}

/** Checks bounds against one subject; `train_memory` bounds only when a train is given. */
export function checkBounds(ctx: CheckContext, bounds: readonly BoundEntry[], s: BudgetSubject): void {
  for (const { bound: b, owner } of bounds) {
    const q = boundQuantity(ctx, b);
    if (!q) continue;
    if ((q === "train_memory") !== (s.memory !== undefined)) continue;
    const limit = boundLimit(ctx, b, q);
    const value = valueOf(q, s);
    if (limit === undefined || value === undefined) continue;
    if (holds(value, b.op, limit)) continue;
    ctx.report({
      code: "MM3002",
      message: `\`model ${s.modelName}\` is over budget: \`${q}\` is ${show(q, value)}, but the budget says \`${q} ${b.op} ${b.value.kind === "number" ? b.value.text : limit}\``,
      span: b.span,
      label: `${q} = ${show(q, value)}`,
      notes: [
        ...breakdown(q, s),
        ...(owner !== s.modelName ? [`\`model ${s.modelName}\` inherits this bound from \`model ${owner}\`; a \`budget\` in the variant that bounds \`${q}\` replaces it`] : []),
      ],
      help: b.op.startsWith("<")
        ? `make a part smaller, or raise the bound to at least \`${q === "train_memory" ? ceilBytes(value) : ceilCount(value)}\``
        : "make the model larger, or lower the bound",
    });
  }
}
