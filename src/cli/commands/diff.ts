// `mmc diff FILE A B [--json]`: two models or two trains side by side: every derived number
// (shapes, parameters per part, active, FLOPs, image tokens, training memory) and every
// resolved config field that differs, so a user sees what an override really changed.
// B (or A) may come from another file, written `OTHER.mm:NAME`.
import { formatCount, humanBytes, humanCount } from "../../check/budget.js";
import type { CheckedProgram } from "../../check/ir.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { suggest } from "../../diagnostics/suggest.js";
import { escapeControls, escapeJsonText } from "../../diagnostics/terminal-text.js";
import { parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { checkSpec } from "../load.js";
import { printDiagnostics } from "../output.js";
import {
  changed,
  derivedRows,
  fieldRows,
  type DerivedRow,
  type Subject,
  type Unit,
  type Value,
} from "./diff-rows.js";

export const diffCommand: Command = {
  name: "diff",
  summary: "compare two models or trains: derived numbers and the config fields that differ",
  usage: `usage: mmc diff FILE A B [--json]

A and B name two models, or two trains, declared in FILE (variants like \`model B = A { ... }\`
too). Either may come from another file, written OTHER.mm:NAME:
  mmc diff examples/tiny.mm Tiny Tiny144
  mmc diff examples/tiny.mm tiny other.mm:tiny
Prints every derived number side by side (output shapes, parameters per part, active
parameters, FLOPs, image tokens; for trains also tokens and training memory), then every
resolved config field that differs, as dotted paths. --json prints
{"a": {...}, "b": {...}, "derived": [...], "fields": [...]} with the raw values.`,
  async run(argv, io) {
    const args = parseArgs(argv, { values: ["format"], switches: ["json", "no-color", "trace"] });
    const [file, refA, refB, ...extra] = args.positionals;
    if (!file || !refA || !refB || extra.length > 0)
      throw new UsageError(
        "`mmc diff` needs a file and two names, e.g. `mmc diff examples/tiny.mm Tiny Tiny144`",
      );
    const a = splitRef(refA, file);
    const b = splitRef(refB, file);
    const programs = new Map<string, CheckedProgram>();
    for (const f of new Set([a.file, b.file])) {
      const result = checkSpec(f);
      printDiagnostics(io, result.diagnostics, result.sources, "rich");
      if (hasErrors(result.diagnostics) || !result.checked) return 1;
      programs.set(f, result.checked);
    }
    const sa = lookup(programs.get(a.file)!, a);
    const sb = lookup(programs.get(b.file)!, b);
    if (sa.kind !== sb.kind)
      throw new UsageError(
        `\`${a.name}\` is a ${sa.kind} and \`${b.name}\` is a ${sb.kind}: compare two models or two trains`,
      );
    const derived = derivedRows(sa, sb);
    const fields = fieldRows(sa, sb);
    if (args.switches.has("json")) {
      const side = (r: Ref) => ({ file: r.file, name: r.name, kind: sa.kind });
      io.stdout(
        `${jsonForTerminal(
          {
            a: side(a),
            b: side(b),
            derived: derived.map((r) => ({
              path: r.path,
              a: r.a,
              b: r.b,
              changed: changed(r),
              delta: typeof r.a === "number" && typeof r.b === "number" ? r.b - r.a : null,
            })),
            fields: fields.map((r) => ({ path: r.path, a: r.a, b: r.b })),
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    io.stdout(renderDiff(a, b, sa.kind, derived, fields));
    return 0;
  },
};

/**
 * JSON text whose strings cannot drive a terminal: JSON.stringify escapes C0 controls, and
 * `escapeJsonText` the rest (DEL, C1 controls, direction overrides: a spec's string may hold them).
 */
function jsonForTerminal(value: unknown, replacer: null, indent: number): string {
  return escapeJsonText(JSON.stringify(value, replacer, indent));
}

interface Ref {
  readonly file: string;
  readonly name: string;
}

/** `NAME` is in FILE; `OTHER.mm:NAME` is in OTHER.mm (split at the last colon). */
function splitRef(ref: string, file: string): Ref {
  const colon = ref.lastIndexOf(":");
  if (colon > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.slice(colon + 1)))
    return { file: ref.slice(0, colon), name: ref.slice(colon + 1) };
  return { file, name: ref };
}

function lookup(p: CheckedProgram, ref: Ref): Subject {
  const model = p.models.find((m) => m.name === ref.name);
  if (model) return { kind: "model", model };
  const train = p.trains.find((t) => t.name === ref.name);
  if (train) return { kind: "train", train };
  const names = [...p.models.map((m) => m.name), ...p.trains.map((t) => t.name)];
  const hint = suggest(ref.name, names);
  throw new UsageError(
    `\`${escapeControls(ref.file)}\` has no model or train \`${escapeControls(ref.name)}\`` +
      (hint
        ? `; did you mean \`${hint}\`?`
        : names.length > 0
          ? ` (it has ${names.map((n) => `\`${n}\``).join(", ")})`
          : " (it declares none)"),
  );
}

function show(v: Value, unit: Unit): string {
  if (v === null) return "—";
  if (typeof v === "number") {
    if (unit === "count") return formatCount(v);
    if (unit === "flops") return humanCount(v);
    if (unit === "bytes") return humanBytes(v);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map((x) => show(x as Value, "plain")).join(", ")}]`;
  return String(v);
}

function change(r: { a: Value; b: Value }, unit: Unit): string {
  if (!changed(r)) return "";
  if (typeof r.a !== "number" || typeof r.b !== "number")
    return r.a === null ? "added" : r.b === null ? "removed" : "changed";
  const d = r.b - r.a;
  const sign = d > 0 ? "+" : "-";
  const abs = unit === "plain" ? String(Math.abs(d)) : show(Math.abs(d), unit);
  const pct = r.a !== 0 ? ` (${sign}${Number((Math.abs(d / r.a) * 100).toPrecision(3))}%)` : "";
  return `${sign}${abs}${pct}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function renderDiff(
  a: Ref,
  b: Ref,
  kind: Subject["kind"],
  derived: readonly DerivedRow[],
  fields: ReturnType<typeof fieldRows>,
): string {
  const label = (r: Ref): string =>
    r.file === a.file && r.file === b.file ? r.name : `${r.file}:${r.name}`;
  const la = escapeControls(label(a));
  const lb = escapeControls(label(b));
  const out = [
    `${kind} ${la} vs ${lb}${a.file === b.file ? ` (${escapeControls(a.file)})` : ""}`,
    "",
  ];
  out.push(
    table([
      ["derived", la, lb, "change"],
      ...derived.map((r) => [r.path, show(r.a, r.unit), show(r.b, r.unit), change(r, r.unit)]),
    ]),
  );
  out.push("");
  if (fields.length === 0) out.push("no config field differs");
  else
    out.push(
      table([
        ["field", la, lb, "change"],
        ...fields.map((r) => [
          r.path,
          escapeControls(show(r.a, "plain")),
          escapeControls(show(r.b, "plain")),
          change(r, "plain"),
        ]),
      ]),
    );
  out.push("");
  return out.join("\n");
}
