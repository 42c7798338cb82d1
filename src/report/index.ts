// src/report/: `mmc report` and, later, `mmc sweep`. Reads a run or sweep folder (read.ts, the
// only file here that touches the disk) and renders report.md and report.html from it.
import { runCharts, sweepCharts } from "./charts.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import type { Report } from "./model.js";
import { renderSvg } from "./svg.js";
import { reportPage } from "./tables.js";

export interface RenderedReport {
  readonly markdown: string;
  readonly html: string;
  /** Warnings from the charting library, for --trace-style debugging; not shown by default. */
  readonly chartWarnings: readonly string[];
}

export async function renderReport(report: Report): Promise<RenderedReport> {
  const page = reportPage(report);
  const charts = report.kind === "run" ? runCharts(report.metrics) : sweepCharts(report);
  const rendered = [];
  const chartWarnings: string[] = [];
  for (const chart of charts) {
    const { svg, warnings } = await renderSvg(chart);
    chartWarnings.push(...warnings);
    rendered.push({ chart, svg });
  }
  return { markdown: renderMarkdown(page), html: renderHtml(page, rendered), chartWarnings };
}
