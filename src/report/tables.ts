// The report's tables as plain data, shared by report.md and report.html: for a sweep one table
// per reported metric (points as rows, axes as columns, the best value marked); for a run one
// summary table. Values are formatted here once, so both pages show the same text.
import { formatCount, humanBytes, humanCount } from "../check/budget.js";
import {
  bestIndices,
  metricDirection,
  metricSource,
  metricsNotes,
  pointMetricValue,
  runMetricNames,
  runMetricValue,
  type Direction,
  type Report,
  type RunReport,
  type SweepReport,
} from "./model.js";

export interface TableRow {
  /** Cells before the value: point id and axis labels, or the metric's name. */
  readonly cells: readonly string[];
  /** The formatted value, or undefined when the point has none (yet). */
  readonly value?: string;
  readonly best: boolean;
  /** Cells after the value. */
  readonly tail: readonly string[];
}

export interface Table {
  readonly title: string;
  /** One line under the title: which way is better and how the value is taken. */
  readonly caption: string;
  readonly columns: readonly string[];
  readonly valueColumn: string;
  readonly tailColumns: readonly string[];
  readonly rows: readonly TableRow[];
}

export interface ReportPage {
  readonly title: string;
  /** Facts under the title, one short phrase each. */
  readonly facts: readonly string[];
  readonly tables: readonly Table[];
  /** What could not be read, per run or point. */
  readonly notes: readonly string[];
}

const PERCENT = /^caption_accuracy/;

export function formatMetric(name: string, v: number): string {
  if (name === "params" || name === "active_params" || name === "image_tokens")
    return formatCount(v);
  if (name === "flops_per_token") return humanCount(v);
  if (name === "train_memory") return humanBytes(v);
  if (name === "tokens_per_second") return formatCount(v);
  if (PERCENT.test(name)) return `${(v * 100).toFixed(2)}%`;
  if (metricDirection(name) === "lower") return v.toFixed(4);
  return String(Number(v.toPrecision(4)));
}

function directionText(d: Direction): string {
  return d === "lower" ? "lower is better" : d === "higher" ? "higher is better" : "no best";
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function sweepPage(r: SweepReport): ReportPage {
  const m = r.manifest;
  const byStatus = new Map<string, number>();
  for (const p of m.points) byStatus.set(p.status, (byStatus.get(p.status) ?? 0) + 1);
  const tables = m.report.map((metric): Table => {
    const dir = metricDirection(metric);
    const values = r.points.map((p) => pointMetricValue(p, metric));
    const best = bestIndices(
      values.map((v) => v?.value),
      dir,
    );
    return {
      title: metric,
      caption: `${directionText(dir)}${dir === "none" ? "" : " (★ marks the best)"}; ${metricSource(metric)}`,
      columns: ["point", ...m.axes.map((a) => a.path)],
      valueColumn: metric,
      tailColumns: ["status"],
      rows: r.points.map((p, i) => {
        const v = values[i];
        return {
          cells: [p.point.id, ...p.point.labels],
          ...(v !== undefined ? { value: formatMetric(metric, v.value) } : {}),
          best: best.has(i),
          tail: [p.point.status],
        };
      }),
    };
  });
  const notes: string[] = [];
  for (const p of r.points) {
    if (p.problem) notes.push(`${p.point.id}: ${p.problem}`);
    if (p.metrics) for (const n of metricsNotes(p.metrics)) notes.push(`${p.point.id}: ${n}`);
  }
  return {
    title: `sweep ${m.sweep}`,
    facts: [
      `spec ${m.spec}`,
      `${plural(m.points.length, "point")} (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(", ")})`,
      `axes: ${m.axes.map((a) => `${a.path} (${a.labels.length})`).join(", ") || "none"}`,
      `folder ${r.dir}`,
    ],
    tables,
    notes,
  };
}

export function runPage(r: RunReport): ReportPage {
  const m = r.metrics;
  const names = runMetricNames(m);
  const rows = names.flatMap((name): TableRow[] => {
    const v = runMetricValue(m, name);
    if (v === undefined) return [];
    const dir = metricDirection(name);
    return [
      {
        cells: [name],
        value: formatMetric(name, v.value),
        best: false,
        tail: [v.step === undefined ? "" : String(v.step), directionText(dir), metricSource(name)],
      },
    ];
  });
  const last = m.steps[m.steps.length - 1];
  return {
    title: `run ${r.name}`,
    facts: [
      `folder ${r.dir}`,
      last
        ? `${plural(m.steps.length, "step record")} (last step ${last.step})`
        : "no step records",
      plural(m.evals.length, "evaluation"),
      ...(m.evalTasks.length > 0 ? [plural(m.evalTasks.length, "few-shot result")] : []),
    ],
    tables: [
      {
        title: "summary",
        caption: "the run's final numbers",
        columns: ["metric"],
        valueColumn: "value",
        tailColumns: ["at step", "direction", "how"],
        rows,
      },
    ],
    notes: metricsNotes(m),
  };
}

export function reportPage(r: Report): ReportPage {
  return r.kind === "run" ? runPage(r) : sweepPage(r);
}
