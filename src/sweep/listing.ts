// The table of a sweep's points that `mmc info` and `mmc sweep --dry-run` print: one row per
// point with its axis values and derived numbers (labels are user text: control characters are
// escaped before they reach the terminal).
import { humanBytes, humanCount } from "../check/budget.js";
import type { CheckedSweep } from "../check/ir.js";
import { escapeControls } from "../runtime/escape.js";
import { derivedOf, type Derived } from "./plan.js";

export interface ListedPoint {
  readonly id: string;
  readonly labels: readonly string[];
  readonly derived: Derived;
  /** Extra cells at the end of the row (the dry run's estimated time). */
  readonly extra?: readonly string[];
}

function table(rows: string[][], right: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => {
          const pad = " ".repeat(widths[i]! - [...c].length);
          return right.has(i) ? pad + c : c + pad;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function pointTable(
  axes: readonly { readonly path: string }[],
  points: readonly ListedPoint[],
  extraHeaders: readonly string[] = [],
  indent = "",
): string {
  const head = [
    `${indent}point`,
    ...axes.map((a) => escapeControls(a.path)),
    ...["params", "active", "image tokens", "FLOPs/token", "train memory"],
    ...extraHeaders,
  ];
  const rows = [head];
  for (const p of points)
    rows.push([
      `${indent}${p.id}`,
      ...p.labels.map((l) => escapeControls(l)),
      humanCount(p.derived.params),
      humanCount(p.derived.active_params),
      String(p.derived.image_tokens),
      humanCount(p.derived.flops_per_token),
      humanBytes(p.derived.train_memory),
      ...(p.extra ?? []),
    ]);
  const right = new Set(head.map((_, i) => i).filter((i) => i > axes.length));
  return table(rows, right);
}

/** `mmc info`'s section for a sweep: its points with their derived numbers. */
export function renderSweepInfo(s: CheckedSweep): string {
  const points = s.points.map((p, i) => ({
    id: `p${i}`,
    labels: p.labels,
    derived: derivedOf(p.train),
  }));
  return (
    `sweep ${s.name}: ${s.points.length} point${s.points.length === 1 ? "" : "s"} of \`train ${s.base}\`, reporting ${s.report.join(", ")}\n` +
    `${pointTable(s.axes, points, [], "  ")}\n` +
    "  (`mmc sweep FILE --dry-run` adds the estimated time; `mmc sweep FILE` trains them)\n"
  );
}

/** `mmc info --json`'s entry for a sweep. */
export function sweepInfoJson(s: CheckedSweep): unknown {
  return {
    name: s.name,
    base: s.base,
    axes: s.axes,
    report: s.report,
    points: s.points.map((p, i) => ({ id: `p${i}`, labels: p.labels, ...derivedOf(p.train) })),
  };
}
