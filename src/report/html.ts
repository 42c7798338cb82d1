// report.html: one self-contained page (inline CSS, inline SVG charts, no script, no external
// resource; a Content-Security-Policy forbids both), which opens from file://. Every piece of
// input text goes through escapeHtml; the chart SVGs come from Vega, which escapes its text.
import type { Chart } from "./charts.js";
import { escapeHtml as e } from "./escape.js";
import type { ReportPage, Table } from "./tables.js";

export interface RenderedChart {
  readonly chart: Chart;
  readonly svg: string;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
  margin: 0 auto; max-width: 1280px; padding: 24px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 4px; }
.facts { color: #555; margin: 0 0 16px; }
.facts span + span::before { content: " · "; color: #aaa; }
.notes { background: #fff8e1; border: 1px solid #f0d98c; border-radius: 6px; padding: 8px 16px; }
.notes h2 { margin-top: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure.chart { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; margin: 0;
  padding: 8px; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #777; font-size: 12px; }
table { border-collapse: collapse; background: #fff; margin: 4px 0 8px; }
th, td { border: 1px solid #e3e3e3; padding: 3px 10px; text-align: left; }
th { background: #f2f2f2; font-weight: 600; }
td.value { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; background: #e8f5e9; }
td.missing { color: #aaa; }
.caption { color: #555; margin: 0; }
footer { color: #888; font-size: 12px; margin-top: 32px; }
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function renderTable(t: Table): string {
  const head = [...t.columns, t.valueColumn, ...t.tailColumns]
    .map((c) => `<th scope="col">${e(c)}</th>`)
    .join("");
  const body = t.rows
    .map((r) => {
      const cells = r.cells.map((c) => `<td>${e(c)}</td>`).join("");
      const value =
        r.value === undefined
          ? `<td class="value missing">—</td>`
          : r.best
            ? `<td class="value best">${e(r.value)} ★</td>`
            : `<td class="value">${e(r.value)}</td>`;
      return `<tr>${cells}${value}${r.tail.map((c) => `<td>${e(c)}</td>`).join("")}</tr>`;
    })
    .join("\n");
  return `<section class="table"><h2>${e(t.title)}</h2><p class="caption">${e(t.caption)}</p>
<table><thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody></table></section>`;
}

function renderChart(c: RenderedChart): string {
  const note = c.chart.note ? `<figcaption>${e(c.chart.note)}</figcaption>` : "";
  return `<figure class="chart" id="${e(c.chart.id)}" data-mark="${c.chart.expect.mark}" data-count="${c.chart.expect.count}" aria-label="${e(c.chart.title)}">
${c.svg}
${note}</figure>`;
}

export function renderHtml(page: ReportPage, charts: readonly RenderedChart[]): string {
  const notes =
    page.notes.length > 0
      ? `<section class="notes"><h2>Notes</h2><ul>${page.notes.map((n) => `<li>${e(n)}</li>`).join("")}</ul></section>`
      : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(page.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${e(page.title)}</h1>
<p class="facts">${page.facts.map((f) => `<span>${e(f)}</span>`).join("")}</p></header>
${notes}
<section class="charts">
${charts.map(renderChart).join("\n")}
</section>
${page.tables.map(renderTable).join("\n")}
<footer>Written by <code>mmc report</code>; report.md beside this file has the same tables.</footer>
</body>
</html>
`;
}
