// docs/language.md's settings tables say what src/spec/settings.ts says: every field of the
// `train` and `data` tables is documented, with the table's default; the defaults written inline
// for `optimizer`, `schedule`, `checkpoint` and `eval` are the tables' too.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { FieldTable } from "../../src/spec/fields.js";
import {
  CHECKPOINT_SETTINGS,
  DATA_SETTINGS,
  EVAL_SETTINGS,
  OPTIMIZER_SETTINGS,
  SCHEDULE_SETTINGS,
  TRAIN_SETTINGS,
} from "../../src/spec/settings.js";

const doc = readFileSync("docs/language.md", "utf8");

/** The rows of the first table in a section: the backticked names of the first cell -> cells. */
function rows(heading: string, firstCell: string): Map<string, string[]> {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const lines = doc.slice(start).split("\n");
  const head = lines.findIndex((l) => l.startsWith(`| ${firstCell} `));
  expect(head, `${heading}: a table starting with ${firstCell}`).toBeGreaterThan(-1);
  const out = new Map<string, string[]>();
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    for (const m of cells[0]!.matchAll(/`([a-z_]+)`/g)) out.set(m[1]!, cells);
  }
  return out;
}

/** `name: value` pairs written in a cell, as numbers (`10%` is 0.1). */
function inline(cell: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of cell.matchAll(/([a-z_]+): (-?[\d.e+-]+)(%?)/g))
    out.set(m[1]!, Number(m[2]) / (m[3] ? 100 : 1));
  return out;
}

function checkTable(table: FieldTable, r: Map<string, string[]>): void {
  for (const f of table) {
    const row = r.get(f.name);
    expect(row, `\`${f.name}\` is documented`).toBeDefined();
    if (f.default.kind === "value")
      expect(row!.at(-1), `the default of \`${f.name}\``).toContain(String(f.default.value));
    if (f.default.kind === "required") expect(row!.at(-1)).toContain("required");
  }
  // and nothing documented that the table lacks
  for (const name of r.keys())
    expect(
      table.some((f) => f.name === name),
      `\`${name}\` is in the table`,
    ).toBe(true);
}

function checkInline(table: FieldTable, cell: string, what: string): void {
  const written = inline(cell);
  for (const f of table)
    if (f.default.kind === "value" && typeof f.default.value === "number")
      expect(written.get(f.name), `${what}.${f.name}`).toBe(f.default.value);
}

describe("docs/language.md against src/spec/settings.ts", () => {
  const train = rows("### `train`", "field");
  it("documents every train field with its default", () => checkTable(TRAIN_SETTINGS, train));
  it("documents every data setting with its default", () =>
    checkTable(DATA_SETTINGS, rows("### `data`", "setting")));
  it("writes the optimizer, schedule, checkpoint and eval defaults of the tables", () => {
    checkInline(OPTIMIZER_SETTINGS, train.get("optimizer")!.at(-1)!, "optimizer");
    checkInline(SCHEDULE_SETTINGS, train.get("schedule")!.at(-1)!, "schedule");
    checkInline(CHECKPOINT_SETTINGS, train.get("checkpoint")!.at(-1)!, "checkpoint");
    checkInline(EVAL_SETTINGS, train.get("eval")!.at(-1)!, "eval");
    for (const f of OPTIMIZER_SETTINGS) expect(train.get("optimizer")![1]).toContain(f.name);
    for (const f of CHECKPOINT_SETTINGS) expect(train.get("checkpoint")![1]).toContain(f.name);
  });
});
