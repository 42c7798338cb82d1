// From folders to pages: metric values taken as documented (computed here from the fixture's
// own records), report.md's tables with the best value marked, the charts' specs, and a
// report.html that is self-contained and carries no unescaped input text.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { lineChart, sweepCharts, thin, runCharts } from "../../src/report/charts.js";
import { renderReport } from "../../src/report/index.js";
import {
  bestIndices,
  FINAL_LOSS_WINDOW,
  metricDirection,
  runMetricValue,
} from "../../src/report/model.js";
import { parseMetrics } from "../../src/report/metrics.js";
import { readReportFolder, readSweepFolder } from "../../src/report/read.js";
import { HOSTILE, runRecords, writeRun, writeSweep, type StepLine } from "./fixtures.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "mmc-report-"));

describe("metric values", () => {
  const records = runRecords({ steps: 90, evalEvery: 30, tasks: true });
  const m = parseMetrics(records.map((r) => JSON.stringify(r)).join("\n"));
  const steps = records.filter((r): r is StepLine => (r as StepLine).type === "step");

  test("final loss is the mean of the last 20 step losses, or of the last tenth", () => {
    const mean = (xs: StepLine[]): number => xs.reduce((a, s) => a + s.loss, 0) / xs.length;
    // 90 steps: the last 9.
    expect(runMetricValue(m, "loss")).toEqual({ value: mean(steps.slice(-9)), step: 90 });
    const long = runRecords({ steps: 450 }).filter(
      (r): r is StepLine => (r as StepLine).type === "step",
    );
    const ml = parseMetrics(long.map((r) => JSON.stringify(r)).join("\n"));
    expect(FINAL_LOSS_WINDOW).toBe(20);
    expect(runMetricValue(ml, "loss")).toEqual({ value: mean(long.slice(-20)), step: 450 });
    const one = parseMetrics(JSON.stringify(long[0]));
    expect(runMetricValue(one, "loss")!.value).toBe(long[0]!.loss);
  });

  test("throughput is the median step rate, the first (warm-up) step excluded", () => {
    const rates = steps
      .slice(1)
      .map((s) => s.tokens_per_second)
      .sort((a, b) => a - b);
    expect(rates).toHaveLength(89);
    const median = rates[44]!;
    expect(runMetricValue(m, "tokens_per_second")!.value).toBe(median);
  });

  test("evaluation metrics come from the last evaluation; few-shot as task.metric.Nshot", () => {
    const evals = records.filter((r) => (r as { type: string }).type === "eval") as {
      step: number;
      caption_accuracy: number;
    }[];
    expect(runMetricValue(m, "caption_accuracy")).toEqual({
      value: evals[evals.length - 1]!.caption_accuracy,
      step: 90,
    });
    expect(runMetricValue(m, "coco.cider.4shot")).toEqual({ value: 10 + 90 / 4 + 4, step: 90 });
    expect(runMetricValue(m, "no_such_metric")).toBeUndefined();
  });

  test("which way is better", () => {
    expect(metricDirection("loss")).toBe("lower");
    expect(metricDirection("caption_loss_shuffled_images")).toBe("lower");
    expect(metricDirection("caption_accuracy")).toBe("higher");
    expect(metricDirection("coco.cider.8shot")).toBe("higher");
    expect(metricDirection("vqav2.vqa_accuracy.0shot")).toBe("higher");
    expect(metricDirection("tokens_per_second")).toBe("higher");
    expect(metricDirection("params")).toBe("none");
    expect(metricDirection("train_memory")).toBe("none");
  });

  test("best marks every tied best and nothing without a direction", () => {
    expect([...bestIndices([3, 1, undefined, 1, 2], "lower")]).toEqual([1, 3]);
    expect([...bestIndices([3, 1, undefined, 5], "higher")]).toEqual([3]);
    expect([...bestIndices([3, 1], "none")]).toEqual([]);
    expect([...bestIndices([undefined], "lower")]).toEqual([]);
  });
});

describe("sweep report", () => {
  const dir = tmp();
  const manifest = writeSweep(dir, {
    statuses: ["done", "done", "done", "running", "failed", "pending"],
  });

  test("report.md has a table per metric, points as rows, axes as columns, the best marked", async () => {
    const { markdown } = await renderReport(readReportFolder(dir));
    // The point with the lowest final loss, from the fixture's files directly.
    const losses = manifest.points.map((p) => {
      if (p.status === "pending") return Infinity;
      const lines = readFileSync(join(dir, p.dir, "metrics.jsonl"), "utf8")
        .trim()
        .split("\n");
      const steps = lines.map((l) => JSON.parse(l) as StepLine).filter((r) => r.type === "step");
      const last = steps.slice(-Math.min(20, Math.ceil(steps.length / 10)));
      return last.reduce((a, s) => a + s.loss, 0) / last.length;
    });
    const best = losses.indexOf(Math.min(...losses));
    const section = markdown.split("## loss\n")[1]!.split("\n## ")[0]!;
    const rows = section.split("\n").filter((l) => /^\| p\d/.test(l));
    expect(section).toContain("| point | model.connector | model.image | loss | status |");
    expect(rows).toHaveLength(6);
    rows.forEach((r, i) => {
      expect(r.startsWith(`| p${i} |`)).toBe(true);
      expect(r.includes("★")).toBe(i === best);
    });
    expect(rows[best]).toContain(`**${losses[best]!.toFixed(4)} ★**`);
    expect(rows[5]).toContain("| — | pending |");
    expect(markdown).toContain("## caption\\_accuracy");
    expect(markdown).toMatch(
      /\| p0 \| AvgPool \{ tokens: 16 \} \| Image\\\[3, 64, 64\\\] \| 587,456 \| done \|/,
    );
    expect(markdown).not.toMatch(/## params\n\n[^\n]*★/);
  });

  test("charts: loss curves of every point with steps on one plot, a bar chart per metric", () => {
    const charts = sweepCharts(readSweepFolder(dir));
    expect(charts.map((c) => [c.title, c.expect.mark, c.expect.count])).toEqual([
      ["training loss, all points", "line", 5],
      ["loss", "bar", 5],
      ["caption_accuracy", "bar", 5],
      ["params", "bar", 6],
    ]);
  });

  test("report.html is self-contained: no script, no external resource, a strict CSP", async () => {
    const { html } = await renderReport(readReportFolder(dir));
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(html).not.toMatch(/<script|<link|<iframe|<object|<embed|\bsrc=|url\(|@import/i);
    // The only URLs are the SVG namespace names, which nothing fetches.
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((u) => u[0]);
    expect(new Set(urls)).toEqual(
      new Set(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]),
    );
    expect(html.match(/<svg/g)).toHaveLength(4);
  });

  test("hostile labels and names reach neither page unescaped", async () => {
    const hostileDir = tmp();
    const labels = HOSTILE.slice(0, 3);
    writeSweep(hostileDir, { labels, name: HOSTILE[3]!, report: ["loss", HOSTILE[0]!] });
    const { html, markdown } = await renderReport(readReportFolder(hostileDir));
    // Raw text is harmless unless it holds a character that ends text or a quoted attribute.
    for (const s of HOSTILE.slice(0, 4).filter((h) => /[<>"&]/.test(h))) {
      expect(html).not.toContain(s);
      expect(markdown).not.toContain(s);
    }
    expect(html).not.toMatch(/<script|<img/i);
    expect(markdown).not.toMatch(/<script|<img/i);
    // Every table row still has its columns.
    for (const row of markdown.split("\n").filter((l) => /^\| p\d/.test(l)))
      expect(row.slice(1, -1).split(/(?<!\\)\|/)).toHaveLength(5);
  });

  test("re-rendering gives the same bytes", async () => {
    const a = await renderReport(readReportFolder(dir));
    const b = await renderReport(readReportFolder(dir));
    expect(b.html).toBe(a.html);
    expect(b.markdown).toBe(a.markdown);
  });

  test("a point whose metrics are missing is a note, not a failure", async () => {
    const d = tmp();
    const m = writeSweep(d);
    const { rmSync } = await import("node:fs");
    rmSync(join(d, m.points[2]!.dir), { recursive: true });
    const { markdown } = await renderReport(readReportFolder(d));
    expect(markdown).toContain(
      `- p2: no metrics.jsonl in \`${m.points[2]!.dir}\``.replace(/_/g, "\\_").replace(/`/g, "\\`"),
    );
  });
});

test("a point folder that links outside the sweep folder is not read", async () => {
  const { rmSync, symlinkSync } = await import("node:fs");
  const d = tmp();
  const m = writeSweep(d);
  const outside = tmp();
  writeRun(outside, { steps: 10 });
  rmSync(join(d, m.points[1]!.dir), { recursive: true });
  symlinkSync(outside, join(d, m.points[1]!.dir));
  const r = readSweepFolder(d);
  expect(r.points[1]!.metrics).toBeUndefined();
  expect(r.points[1]!.problem).toBe(
    `\`${m.points[1]!.dir}\` leads outside the sweep folder; not read`,
  );
  expect(r.points[0]!.metrics?.steps).toHaveLength(120);
});

describe("run report", () => {
  test("a single run: summary table, loss, lr, throughput, gradient norm and eval curves", async () => {
    const dir = tmp();
    const records = writeRun(dir, {
      steps: 60,
      evalEvery: 20,
      tasks: true,
      extra: 'garbage\n{"type":"step"',
    });
    const r = readReportFolder(dir);
    expect(r.kind).toBe("run");
    const charts = runCharts(r.kind === "run" ? r.metrics : parseMetrics(""));
    expect(charts.map((c) => [c.title, c.expect.count])).toEqual([
      ["training loss", 1],
      ["learning rate", 1],
      ["throughput", 1],
      ["gradient norm", 1],
      ["evaluation: loss", 2],
      ["evaluation: accuracy", 2],
      ["few-shot: cider", 2],
      ["few-shot: accuracy", 1],
    ]);
    const { markdown } = await renderReport(r);
    expect(markdown).toMatch(/\| loss \| \d\.\d{4} \| 60 \| lower is better \|/);
    expect(markdown).toContain("| coco.cider.4shot | 29 | 60 |");
    const n = records.length;
    expect(markdown).toContain(`- 1 bad line skipped (line ${n + 1}: not JSON)`);
    expect(markdown).toContain(`- the last line (${n + 2}) was cut off mid-record, skipped`);
  });
});

test("thin keeps at most the limit, the first and the last point", () => {
  const xs = Array.from({ length: 10_001 }, (_, i) => i);
  const t = thin(xs, 1000);
  expect(t.length).toBeLessThanOrEqual(1000);
  expect(t[0]).toBe(0);
  expect(t[t.length - 1]).toBe(10_000);
  expect(thin([1, 2, 3], 1000)).toEqual([1, 2, 3]);
  const chart = lineChart({
    id: "c",
    title: "t",
    x: "x",
    y: "y",
    series: [{ name: "s", points: xs.map((x) => ({ x, y: x })) }],
  });
  expect(chart.note).toMatch(/thinned/);
});
