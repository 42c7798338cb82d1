// The report's typed model (a run or a sweep, as read from disk) and the one place that says how
// a metric's value is taken from a run: final loss, last evaluation, median throughput or a
// number the checker derived. Pure.
import type { RunMetrics } from "./metrics.js";
import { evalTaskKey } from "./metrics.js";
import type { SweepManifest, SweepManifestPoint } from "./sweep-format.js";

export interface RunReport {
  readonly kind: "run";
  /** The run folder's name. */
  readonly name: string;
  readonly dir: string;
  readonly metrics: RunMetrics;
}

export interface SweepPointReport {
  readonly point: SweepManifestPoint;
  /** The point's metrics, when its run folder has a metrics.jsonl. */
  readonly metrics?: RunMetrics;
  /** Why the point's metrics could not be read, for a point that should have them. */
  readonly problem?: string;
}

export interface SweepReport {
  readonly kind: "sweep";
  readonly dir: string;
  readonly manifest: SweepManifest;
  readonly points: readonly SweepPointReport[];
}

export type Report = RunReport | SweepReport;

/** The final loss is the mean of this many last step losses (every step is logged)... */
export const FINAL_LOSS_WINDOW = 20;

/** ...or of the last tenth of them in a run of under 200 steps, so a short run's end shows. */
export function finalLossWindow(stepRecords: number): number {
  return Math.max(1, Math.min(FINAL_LOSS_WINDOW, Math.ceil(stepRecords / 10)));
}

export type Direction = "lower" | "higher" | "none";

/** Numbers the checker derives per point (sweep.json `derived`), not measured by the run. */
export const DERIVED_METRICS = [
  "params",
  "active_params",
  "image_tokens",
  "flops_per_token",
  "train_memory",
] as const;

/** Whether a smaller or a larger value of a metric is the better one. */
export function metricDirection(name: string): Direction {
  if ((DERIVED_METRICS as readonly string[]).includes(name)) return "none";
  if (name === "tokens_per_second") return "higher";
  const n = name.toLowerCase();
  if (/loss|perplexity|error|wer/.test(n)) return "lower";
  if (/acc|cider|vqa|bleu|rouge|meteor|spice|score|f1|exact/.test(n)) return "higher";
  return "none";
}

export interface MetricValue {
  readonly value: number;
  /** The step it was measured at, for values from a run. */
  readonly step?: number;
}

/** How a metric's value is taken, for the report's notes. */
export function metricSource(name: string): string {
  if (name === "loss")
    return `mean of the last ${FINAL_LOSS_WINDOW} step losses (of the last tenth in a run under ${FINAL_LOSS_WINDOW * 10} steps)`;
  if (name === "tokens_per_second") return "median over the step records, the first one excluded";
  if ((DERIVED_METRICS as readonly string[]).includes(name))
    return "derived by the checker (the numbers in sweep.json)";
  return "the last evaluation that reported it";
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A metric's value from a run's records, if the run has it. */
export function runMetricValue(m: RunMetrics, name: string): MetricValue | undefined {
  if (name === "loss") {
    const last = m.steps.slice(-finalLossWindow(m.steps.length));
    if (last.length === 0) return undefined;
    const value = last.reduce((a, r) => a + r.loss, 0) / last.length;
    return { value, step: last[last.length - 1]!.step };
  }
  if (name === "tokens_per_second") {
    const rates = m.steps
      .slice(m.steps.length > 1 ? 1 : 0)
      .map((r) => r.tokensPerSecond)
      .filter((x): x is number => x !== undefined);
    const value = median(rates);
    return value === undefined ? undefined : { value, step: m.steps[m.steps.length - 1]!.step };
  }
  for (let i = m.evals.length - 1; i >= 0; i--) {
    const e = m.evals[i]!;
    const v = Object.hasOwn(e.values, name) ? e.values[name] : undefined;
    if (v !== undefined) return { value: v, step: e.step };
  }
  for (let i = m.evalTasks.length - 1; i >= 0; i--) {
    const t = m.evalTasks[i]!;
    if (evalTaskKey(t) === name) return { value: t.value, step: t.step };
  }
  return undefined;
}

/** A metric's value for a sweep point: derived numbers first, then its run's records. */
export function pointMetricValue(p: SweepPointReport, name: string): MetricValue | undefined {
  if (Object.hasOwn(p.point.derived, name)) return { value: p.point.derived[name]! };
  return p.metrics ? runMetricValue(p.metrics, name) : undefined;
}

/** Indices of the best values (all of them on a tie); none when the metric has no direction. */
export function bestIndices(values: readonly (number | undefined)[], dir: Direction): Set<number> {
  const best = new Set<number>();
  if (dir === "none") return best;
  let target: number | undefined;
  for (const v of values)
    if (v !== undefined && (target === undefined || (dir === "lower" ? v < target : v > target)))
      target = v;
  values.forEach((v, i) => {
    if (v !== undefined && v === target) best.add(i);
  });
  return best;
}

/** Every metric name a run's records can give, in a stable order, for a single run's summary. */
export function runMetricNames(m: RunMetrics): string[] {
  const names: string[] = [];
  if (m.steps.length > 0) names.push("loss");
  if (m.steps.some((s) => s.tokensPerSecond !== undefined)) names.push("tokens_per_second");
  const evalKeys = new Set<string>();
  for (const e of m.evals) for (const k of Object.keys(e.values)) evalKeys.add(k);
  evalKeys.delete("targets");
  names.push(...evalKeys);
  const taskKeys = new Set(m.evalTasks.map(evalTaskKey));
  names.push(...taskKeys);
  return names;
}

/** A point's name in legends: its labels, or its id for a sweep without axes. */
export function pointName(p: SweepManifestPoint): string {
  return p.labels.length > 0 ? `${p.id} ${p.labels.join(" · ")}` : p.id;
}

/** Notes on records a run's metrics file had that the report could not use. */
export function metricsNotes(m: RunMetrics): string[] {
  const notes: string[] = [];
  if (m.badLineCount > 0)
    notes.push(
      `${m.badLineCount} bad line${m.badLineCount === 1 ? "" : "s"} skipped (${m.badLines
        .slice(0, 3)
        .map((b) => `line ${b.line}: ${b.reason}`)
        .join("; ")}${m.badLineCount > 3 ? "; ..." : ""})`,
    );
  if (m.truncatedLastLine) notes.push(`the last line (${m.lines}) was cut off mid-record, skipped`);
  const unknown = Object.entries(m.unknownTypes);
  if (unknown.length > 0)
    notes.push(
      `ignored records of unknown types: ${unknown.map(([t, n]) => `${t} (${n})`).join(", ")}`,
    );
  if (m.skipped > 0) notes.push(`${m.skipped} skipped-step record${m.skipped === 1 ? "" : "s"}`);
  // the data loader's summary is written at the end of every session, zero counts included
  if (m.skippedSamples > 0 || m.skippedFiles > 0) {
    const part = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    notes.push(
      `the data loader skipped ${[m.skippedSamples > 0 ? part(m.skippedSamples, "unreadable sample") : "", m.skippedFiles > 0 ? part(m.skippedFiles, "unreadable file") : ""].filter((x) => x !== "").join(" and ")}`,
    );
  }
  if (m.stoppedEarly)
    notes.push(`stopped reading after ${m.recordLimit} records: the rest of the file is not shown`);
  return notes;
}
