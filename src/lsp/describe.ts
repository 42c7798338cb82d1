// The text of hovers: a field from its schema, a component with its output shape, parameters,
// FLOPs and inferred fields, a model with its totals and budget margins, a data mixture with each
// source's share, a train with its memory. Markdown, built from the IR; no computation here
// beyond comparing a bound with its value.
import { formatCount, humanBytes, humanCount, type Quantity } from "../check/budget.js";
import type { CheckedData, CheckedModel, CheckedSource, CheckedTrain } from "../check/ir.js";
import type { ComponentSummary } from "../components/counting.js";
import type { ModelSummary, PartSummary } from "../components/model.js";
import type { ComponentKind, Config } from "../components/types.js";
import type { Bound } from "../syntax/ast.js";
import { realisedLines, type RealisedRun } from "./realised.js";
import { showValue, type FieldInfo } from "./schema.js";

export function count(n: number): string {
  return n < 1000 ? formatCount(n) : `${formatCount(n)} (${humanCount(n)})`;
}

function code(s: string): string {
  return `\`${s}\``;
}

export function describeField(
  path: string,
  info: FieldInfo,
  resolved?: { value: unknown; from?: string; where: string },
): string {
  const lines = [`**${path}**${info.type ? `: ${info.type}` : ""}`, "", info.doc, ""];
  if (info.default) lines.push(`- default: ${info.default}`);
  if (info.range) lines.push(`- range: ${info.range}`);
  if (resolved) {
    const v = resolved.value === undefined ? "not set" : code(showValue(resolved.value as never));
    lines.push(
      `- ${resolved.where}: ${v}${resolved.from ? ` (inferred from ${resolved.from})` : ""}`,
    );
  }
  return lines.join("\n").trim();
}

export function describeKind(kind: ComponentKind, module: string | undefined): string {
  const fields = kind.fields.map((f) => {
    const d =
      f.default.kind === "value"
        ? ` = ${showValue(f.default.value)}`
        : f.default.kind === "inferred"
          ? " (inferred)"
          : "";
    return `- ${code(f.name)}${d}: ${f.doc}`;
  });
  return [
    `**${kind.name}**: component kind (${kind.role})${module ? `, from ${code(module)}` : ""}`,
    "",
    kind.doc,
    "",
    ...fields,
  ].join("\n");
}

function shape(s: { tokens: number; width: number; grid?: readonly [number, number] }): string {
  return `${s.tokens} × ${s.width}${s.grid ? ` (grid ${s.grid[0]}×${s.grid[1]})` : ""}`;
}

/** Inferred fields with their values: `in = 64 from vision.width`. */
export function inferredLines(
  inferred: Readonly<Record<string, string>>,
  config: Config,
): string[] {
  return Object.entries(inferred).map(([f, from]) => {
    const v = config[f];
    return `- ${code(`${f} = ${v === undefined ? "?" : showValue(v)}`)} from ${from.replace(/`/g, "")}`;
  });
}

/** A language model's output is its logits, one row per position; the other parts' are tokens. */
function outputOf(
  role: string,
  output: { tokens: number; width: number; grid?: readonly [number, number] },
): string {
  return role === "llm" ? `logits ${output.tokens} × ${output.width}` : shape(output);
}

export function describePart(part: PartSummary, heading: string): string {
  const unit = part.flopsUnit === "image" ? "per image" : "per token";
  const lines = [
    heading,
    "",
    `- output: ${outputOf(part.part, part.output)}`,
    `- parameters: ${count(part.params)}${part.activeParams !== part.params ? `, active ${count(part.activeParams)}` : ""}`,
    `- FLOPs ${unit}: ${count(part.flops)}`,
  ];
  const inferred = inferredLines(part.inferred, part.config);
  if (inferred.length) lines.push("", "inferred:", ...inferred);
  return lines.join("\n");
}

export function describeComponent(
  name: string,
  role: string,
  doc: string | undefined,
  s: ComponentSummary,
): string {
  const unit = s.flopsUnit === "image" ? "per image" : "per token";
  const lines = [`**${role} ${name}** = ${code(s.kind)}`, ""];
  if (doc) lines.push(doc, "");
  lines.push(
    `- output: ${outputOf(role, s.output)}`,
    `- parameters: ${count(s.params)}${s.activeParams !== s.params ? `, active ${count(s.activeParams)}` : ""}`,
    `- FLOPs ${unit}: ${count(s.flops)}`,
  );
  const inferred = inferredLines(s.inferred, s.config);
  if (inferred.length) lines.push("", "inferred:", ...inferred);
  if (s.assumed.length) lines.push("", `alone, assuming: ${s.assumed.join("; ")}`);
  return lines.join("\n");
}

/** The value of a budget quantity for a model (train_memory needs a train). */
export function quantityValue(
  q: Quantity,
  s: ModelSummary,
  train?: CheckedTrain,
): number | undefined {
  switch (q) {
    case "params":
      return s.params;
    case "active_params":
      return s.activeParams;
    case "params.vision":
      return s.parts.vision?.params ?? 0;
    case "params.connector":
      return s.parts.connector?.params ?? 0;
    case "params.llm":
      return s.parts.llm.params;
    case "image_tokens":
      return s.imageTokens;
    case "flops_per_token":
      return s.flopsPerToken;
    case "train_memory":
      return train?.memory.total;
    case "train_memory_per_device":
      return train?.memoryPerDevice.total;
  }
}

function showQuantity(q: Quantity, n: number): string {
  return q === "train_memory" || q === "train_memory_per_device" ? humanBytes(n) : count(n);
}

/** One budget line: the value, the limit and the margin, or how far over it is. */
export function describeBound(
  q: Quantity,
  b: Bound,
  value: number | undefined,
  where?: string,
): string {
  const limit = b.value.kind === "number" ? b.value.value : undefined;
  const written = `${q} ${b.op} ${b.value.kind === "number" ? b.value.text : "?"}`;
  if (value === undefined || limit === undefined)
    return `- ${code(written)}: not computed${where ? ` (${where})` : ""}`;
  const ok = holds(value, b.op, limit);
  const show = (n: number) => showQuantity(q, n);
  let margin = "";
  if (b.op.startsWith("<")) {
    const left = limit - value;
    margin =
      left >= 0
        ? `, ${show(left)} to spare (${pct(left, limit)} of the bound)`
        : `, ${show(-left)} over`;
  } else if (b.op.startsWith(">")) {
    const above = value - limit;
    margin = above >= 0 ? `, ${show(above)} above the bound` : `, ${show(-above)} short`;
  }
  return `- ${code(written)}: ${show(value)}${where ? ` ${where}` : ""}${margin} ${ok ? "✓" : "✗ violated"}`;
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${Number(((part / whole) * 100).toPrecision(3))}%`;
}

function holds(v: number, op: Bound["op"], limit: number): boolean {
  return op === "<="
    ? v <= limit
    : op === "<"
      ? v < limit
      : op === ">="
        ? v >= limit
        : op === ">"
          ? v > limit
          : v === limit;
}

export function describeModel(m: CheckedModel, budget: readonly string[]): string {
  const s = m.summary;
  const lines = [`**model ${m.name}**${m.base ? ` = ${code(m.base)} with overrides` : ""}`, ""];
  if (m.doc) lines.push(m.doc, "");
  lines.push("| part | kind | output | parameters | FLOPs |", "| --- | --- | --- | --- | --- |");
  for (const p of [s.parts.vision, s.parts.connector, s.parts.llm]) {
    if (!p) continue;
    const out =
      p.part === "llm"
        ? `${p.output.tokens} × ${p.output.width} logits`
        : `${p.output.tokens} × ${p.output.width}`;
    lines.push(
      `| ${p.part} | ${code(p.kind)} | ${out} | ${formatCount(p.params)} | ${humanCount(p.flops)} per ${p.flopsUnit} |`,
    );
  }
  lines.push(
    "",
    `- parameters: ${count(s.params)}${s.activeParams !== s.params ? `, active per token ${count(s.activeParams)}` : ""}`,
    `- FLOPs per token: ${count(s.flopsPerToken)}${s.flopsPerImage ? `; per image: ${count(s.flopsPerImage)}` : ""}`,
  );
  if (s.imageTokens) lines.push(`- image tokens: ${s.imageTokens} per image`);
  if (budget.length) lines.push("", "budget:", ...budget);
  return lines.join("\n");
}

/** The server never reads data files; without a run, the realised mixture needs them. */
const REALISED =
  "*the realised shares come from the data: `mmc data inspect FILE --data NAME` draws from the files*";
const NO_RUN =
  "*no run of a train on this mixture has logged its sources yet: after `mmc run FILE --train NAME`, its realised share shows here*";

function share(s: CheckedSource): string {
  return `${Number((s.weight * 100).toPrecision(4))}%`;
}

/** `runs`: what runs of trains on this mixture logged (realised.ts), newest record of each. */
export function describeSource(
  s: CheckedSource,
  data: CheckedData,
  runs: readonly RealisedRun[] = [],
): string {
  return [
    `**source ${code(s.name)}** of ${code(`data ${data.name}`)}: ${s.kind}, ${s.format}`,
    "",
    `- path: ${code(s.path)}`,
    `- share: ${share(s)} of the ${data.weighting === "tokens" ? "tokens" : "samples"} (the declared weights, normalised to add up to 100%)`,
    ...realisedLines(s.name, data.weighting, runs),
    "",
    ...(runs.length > 0 ? [] : [NO_RUN, ""]),
    REALISED,
  ].join("\n");
}

export function describeData(d: CheckedData, doc?: string): string {
  const lines = [`**data ${d.name}**`, ""];
  if (doc) lines.push(doc, "");
  lines.push("| source | kind | share | path |", "| --- | --- | --- | --- |");
  for (const s of d.sources)
    lines.push(`| ${s.name} | ${s.kind} | ${share(s)} | ${code(s.path)} |`);
  lines.push(
    "",
    `shares are the declared weights normalised to 100%, counted in ${d.weighting}; ${d.imagesPerSequence} image${d.imagesPerSequence === 1 ? "" : "s"} per sequence; tokenizer ${d.tokenizer.kind}${d.heldout ? `; held out: ${code(d.heldout.path)}` : ""}`,
    "",
    REALISED,
  );
  return lines.join("\n");
}

export function describeTrain(t: CheckedTrain): string {
  const m = t.memory;
  const lines = [`**train ${t.name}**: ${code(t.model.name)} on ${code(t.data.name)}`, ""];
  if (t.doc) lines.push(t.doc, "");
  lines.push(
    `- ${t.steps} steps × ${t.batch} sequences × ${t.sequence} tokens = ${count(t.steps * t.batch * t.sequence)} tokens`,
    `- optimizer AdamW, lr ${t.optimizer.lr}; schedule ${t.schedule.kind}, warm-up ${t.schedule.warmup}`,
    `- memory per step (${m.precision}): ${humanBytes(m.total)} = weights ${humanBytes(m.weights)} + gradients ${humanBytes(m.gradients)} + AdamW ${humanBytes(m.optimizer)} + activations ${humanBytes(m.activations)}`,
  );
  return lines.join("\n");
}
