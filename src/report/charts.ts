// The report's charts as Vega-Lite specs (pure data; svg.ts renders them with Vega): loss curves
// of every point on one plot, a run's learning rate, throughput and evaluation curves, and a
// bar chart per reported metric grouped by the sweep's axes. Data goes in as inline values
// under fixed field names, so no label from a spec or a metrics file is ever read as an
// expression or a field path.
import type { TopLevelSpec } from "vega-lite";
import { clip } from "./escape.js";
import { evalTaskKey, type RunMetrics } from "./metrics.js";
import { metricDirection, pointMetricValue, pointName, type SweepReport } from "./model.js";

export interface Chart {
  /** A DOM id made by the report (`chart-0`), never from input. */
  readonly id: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
  /** What the rendered SVG must hold: one line per series, or one bar per value. */
  readonly expect: { readonly mark: "line" | "bar"; readonly count: number };
  /** Shown under the chart (e.g. that a long series was thinned). */
  readonly note?: string;
}

export interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** Points kept per series: more make an SVG of megabytes and show nothing more. */
export const MAX_POINTS_PER_SERIES = 1000;
const LABEL_CHARS = 60;
const WIDTH = 480;
const HEIGHT = 220;
// Vega measures text in Node by estimate (0.8 em a character, no canvas), about half again the
// real width, so the label limits are set that much higher than the room the labels have.
const CONFIG = {
  font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  background: "white",
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#eee", labelLimit: 360 },
  legend: {
    labelFontSize: 11,
    titleFontSize: 12,
    labelLimit: 560,
    orient: "bottom" as const,
    columns: 2,
  },
  title: { fontSize: 14, anchor: "start" as const },
};

/** Every `stride`-th point and the last one, so a series has at most MAX_POINTS_PER_SERIES. */
export function thin<T>(points: readonly T[], max = MAX_POINTS_PER_SERIES): T[] {
  if (points.length <= max) return [...points];
  const stride = Math.ceil(points.length / (max - 1));
  const kept = points.filter((_, i) => i % stride === 0);
  if ((points.length - 1) % stride !== 0) kept.push(points[points.length - 1]!);
  return kept;
}

export function lineChart(options: {
  id: string;
  title: string;
  x: string;
  y: string;
  series: readonly Series[];
  legendTitle?: string;
  log?: boolean;
  points?: boolean;
}): Chart {
  const series = options.series.filter((s) => s.points.length > 0);
  let thinned = false;
  const values = series.flatMap((s, order) => {
    const kept = thin(s.points);
    if (kept.length < s.points.length) thinned = true;
    return kept.map((p) => ({ series: clip(s.name, LABEL_CHARS), order, x: p.x, y: p.y }));
  });
  const log = options.log === true && values.every((v) => v.y > 0);
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    mark: { type: "line", strokeWidth: 1.5, ...(options.points ? { point: true } : {}) },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.x },
      y: {
        field: "y",
        type: "quantitative",
        title: options.y,
        scale: log ? { type: "log" } : { zero: false },
      },
      color: {
        field: "series",
        type: "nominal",
        sort: { field: "order", op: "min" },
        scale: { scheme: series.length > 10 ? "tableau20" : "tableau10" },
        ...(series.length > 1
          ? { title: options.legendTitle ?? null, legend: { columns: 1 } }
          : { legend: null }),
      },
      detail: { field: "order", type: "nominal" },
    },
  };
  return {
    id: options.id,
    title: options.title,
    spec,
    expect: { mark: "line", count: series.length },
    ...(thinned ? { note: `long series thinned to ${MAX_POINTS_PER_SERIES} points` } : {}),
  };
}

export interface Bar {
  readonly x: string;
  /** The rest of the point's labels, for sweeps of two or more axes. */
  readonly group?: string;
  readonly value: number;
}

export function barChart(options: {
  id: string;
  title: string;
  x: string;
  y: string;
  groupTitle?: string;
  bars: readonly Bar[];
}): Chart {
  const grouped = options.bars.some((b) => b.group !== undefined);
  const values = options.bars.map((b, order) => ({
    x: clip(b.x, LABEL_CHARS),
    group: clip(b.group ?? "", LABEL_CHARS),
    order,
    value: b.value,
  }));
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: options.title,
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: { field: "x", type: "nominal", title: options.x, sort: null, axis: { labelAngle: 0 } },
      y: { field: "value", type: "quantitative", title: options.y },
      ...(grouped
        ? {
            xOffset: { field: "group", type: "nominal", sort: null },
            color: {
              field: "group",
              type: "nominal",
              sort: null,
              title: options.groupTitle ?? null,
              scale: { scheme: "tableau10" },
            },
          }
        : { color: { value: "#4c78a8" } }),
    },
  };
  return {
    id: options.id,
    title: options.title,
    spec,
    expect: { mark: "bar", count: values.length },
  };
}

/** A single run's charts: loss, learning rate, throughput and every evaluation curve. */
export function runCharts(m: RunMetrics): Chart[] {
  const charts: Chart[] = [];
  const id = (): string => `chart-${charts.length}`;
  const steps = m.steps;
  const curve = (pick: (s: (typeof steps)[number]) => number | undefined) =>
    steps.flatMap((s) => {
      const y = pick(s);
      return y === undefined ? [] : [{ x: s.step, y }];
    });
  if (steps.length > 0) {
    const ce = curve((s) => s.crossEntropy);
    const differs = steps.some((s) => s.crossEntropy !== undefined && s.crossEntropy !== s.loss);
    charts.push(
      lineChart({
        id: id(),
        title: "training loss",
        x: "step",
        y: "loss",
        series: [
          { name: "loss", points: curve((s) => s.loss) },
          ...(differs ? [{ name: "cross entropy", points: ce }] : []),
        ],
      }),
    );
    for (const [title, y, pick] of [
      ["learning rate", "learning rate", (s: (typeof steps)[number]) => s.lr],
      ["throughput", "tokens per second", (s: (typeof steps)[number]) => s.tokensPerSecond],
      ["gradient norm", "global gradient norm", (s: (typeof steps)[number]) => s.gradNorm],
    ] as const) {
      const points = curve(pick);
      if (points.length > 0)
        charts.push(lineChart({ id: id(), title, x: "step", y, series: [{ name: y, points }] }));
    }
  }
  // Evaluation fields grouped by kind: losses on one chart, accuracies on another.
  const evalKeys = [...new Set(m.evals.flatMap((e) => Object.keys(e.values)))].filter(
    (k) => k !== "targets",
  );
  for (const [title, y, dir] of [
    ["evaluation: loss", "held-out loss", "lower"],
    ["evaluation: accuracy", "held-out accuracy", "higher"],
  ] as const) {
    const keys = evalKeys.filter((k) => metricDirection(k) === dir);
    const series = keys.map((k) => ({
      name: k,
      points: m.evals.flatMap((e) =>
        Object.hasOwn(e.values, k) ? [{ x: e.step, y: e.values[k]! }] : [],
      ),
    }));
    if (series.length > 0)
      charts.push(lineChart({ id: id(), title, x: "step", y, series, points: true }));
  }
  // Few-shot tasks: one chart per metric (CIDEr and accuracy do not share a scale).
  const byMetric = new Map<string, Map<string, { x: number; y: number }[]>>();
  for (const t of m.evalTasks) {
    const series = byMetric.get(t.metric) ?? new Map<string, { x: number; y: number }[]>();
    byMetric.set(t.metric, series);
    const key = evalTaskKey(t);
    const points = series.get(key) ?? [];
    series.set(key, points);
    points.push({ x: t.step, y: t.value });
  }
  for (const [metric, series] of byMetric)
    charts.push(
      lineChart({
        id: id(),
        title: `few-shot: ${metric}`,
        x: "step",
        y: metric,
        series: [...series].map(([name, points]) => ({ name, points })),
        points: true,
      }),
    );
  return charts;
}

/** A sweep's charts: the loss curves of all points on one plot, then one bar chart per metric. */
export function sweepCharts(r: SweepReport): Chart[] {
  const charts: Chart[] = [];
  const id = (): string => `chart-${charts.length}`;
  const axes = r.manifest.axes;
  const lossSeries = r.points.flatMap((p) =>
    p.metrics && p.metrics.steps.length > 0
      ? [
          {
            name: pointName(p.point),
            points: p.metrics.steps.map((s) => ({ x: s.step, y: s.loss })),
          },
        ]
      : [],
  );
  if (lossSeries.length > 0)
    charts.push(
      lineChart({
        id: id(),
        title: "training loss, all points",
        x: "step",
        y: "loss",
        series: lossSeries,
        legendTitle: "point",
      }),
    );
  for (const metric of r.manifest.report) {
    const bars = r.points.flatMap((p): Bar[] => {
      const v = pointMetricValue(p, metric);
      if (v === undefined) return [];
      const [first, ...rest] = p.point.labels;
      return [
        {
          x: first ?? p.point.id,
          ...(rest.length > 0 ? { group: rest.join(" · ") } : {}),
          value: v.value,
        },
      ];
    });
    if (bars.length === 0) continue;
    charts.push(
      barChart({
        id: id(),
        title: metric,
        x: axes[0]?.path ?? "point",
        y: metric,
        ...(axes.length > 1
          ? {
              groupTitle: axes
                .slice(1)
                .map((a) => a.path)
                .join(" · "),
            }
          : {}),
        bars,
      }),
    );
  }
  return charts;
}
