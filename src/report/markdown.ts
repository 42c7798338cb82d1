// report.md: the page's facts, one Markdown table per metric with the best value in bold with
// a ★, and the notes on what could not be read. Every piece of input text is escaped.
import { escapeMarkdown } from "./escape.js";
import type { ReportPage, Table } from "./tables.js";

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function renderTable(t: Table): string {
  const e = escapeMarkdown;
  const header = [...t.columns, t.valueColumn, ...t.tailColumns].map(e);
  const align = [...t.columns.map(() => "---"), "---:", ...t.tailColumns.map(() => "---")];
  const lines = [row(header), row(align)];
  for (const r of t.rows) {
    const value = r.value === undefined ? "—" : r.best ? `**${e(r.value)} ★**` : e(r.value);
    lines.push(row([...r.cells.map(e), value, ...r.tail.map(e)]));
  }
  return [`## ${e(t.title)}`, "", `${e(t.caption)}.`, "", ...lines].join("\n");
}

export function renderMarkdown(page: ReportPage): string {
  const e = escapeMarkdown;
  const out = [`# ${e(page.title)}`, "", page.facts.map(e).join(" · "), ""];
  for (const t of page.tables) out.push(renderTable(t), "");
  if (page.notes.length > 0) {
    out.push("## Notes", "");
    for (const n of page.notes) out.push(`- ${e(n)}`);
    out.push("");
  }
  out.push("Written by `mmc report`; report.html beside this file has the charts.", "");
  return out.join("\n");
}
