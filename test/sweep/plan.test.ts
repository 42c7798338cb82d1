// Expanding a sweep and fingerprinting its points: the grid in order, names and checkpoint
// folders set for the sweep, and fingerprints that change exactly where the resolved model or
// train changes (not for a comment, a moved line or a renamed model).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import { canonicalJson } from "../../src/sweep/fingerprint.js";
import { chooseSweep, planSweep, SweepChoiceError } from "../../src/sweep/plan.js";

const FIXTURE = readFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-plan-"));
let n = 0;

function plan(text: string, steps?: number) {
  const file = join(dir, `v${n++}.mm`);
  writeFileSync(file, text);
  const r = checkFile(file, fileHost);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return planSweep(chooseSweep(r.checked!, file), file, steps !== undefined ? { steps } : {});
}

const prints = (text: string, steps?: number) => plan(text, steps).points.map((p) => p.fingerprint);

describe("sweep plan", () => {
  test("points, folders and the trains they run", () => {
    const p = plan(FIXTURE);
    expect(p.dir).toBe(join(dir, "sweeps", "grid"));
    expect(p.points.map((x) => [x.id, x.labels, x.dir])).toEqual([
      ["p0", ["AvgPool { tokens: 4 }"], "p0-avgpool-tokens-4"],
      ["p1", ["Pool"], "p1-pool"],
    ]);
    const t = p.points[1]!.train;
    expect(t.name).toBe("grid_p1");
    expect(t.checkpoint).toEqual({ every: 2, dir: "sweeps/grid/p1-pool", keep: 3 });
    expect(t.model.summary.parts.connector?.kind).toBe("AttnPool");
    expect(p.points[0]!.derived.params).toBeLessThan(p.points[1]!.derived.params);
    // --steps sets every point's steps, and checkpoints stay within them
    const short = plan(FIXTURE, 1).points[0]!.train;
    expect([short.steps, short.checkpoint?.every]).toEqual([1, 1]);
  });

  test("a file with no sweep, or two, is a clear choice error", () => {
    const r = checkFile(join(import.meta.dirname, "..", "cli", "fixtures", "micro.mm"), fileHost);
    expect(() => chooseSweep(r.checked!, "micro.mm")).toThrow(SweepChoiceError);
    const two = `${FIXTURE}\nsweep other {\n  base: micro\n  vary steps: [2, 3]\n}\n`;
    const file = join(dir, "two.mm");
    writeFileSync(file, two);
    const c = checkFile(file, fileHost).checked!;
    expect(() => chooseSweep(c, file)).toThrow(/2 sweeps .*choose one with --sweep/);
    expect(chooseSweep(c, file, "other").points).toHaveLength(2);
    expect(() => chooseSweep(c, file, "nope")).toThrow(/has no `sweep nope`/);
  });

  test("canonical JSON ignores key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: null }] })).toBe(
      canonicalJson({ a: [{ e: null, d: 2 }], b: 1 }),
    );
  });

  test("fingerprints change exactly for the points whose resolved config changes", () => {
    const base = prints(FIXTURE);
    expect(base[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(base[0]).not.toBe(base[1]);
    // a comment and blank lines move every span: nothing that trains changes
    expect(prints(`// a note\n\n${FIXTURE}`)).toEqual(base);
    // renaming the model changes no training either
    expect(prints(FIXTURE.replaceAll("Micro", "Mini"))).toEqual(base);
    // the preset only the second point uses
    const changed = prints(FIXTURE.replace("AttnPool { tokens: 4 }", "AttnPool { tokens: 16 }"));
    expect(changed[0]).toBe(base[0]);
    expect(changed[1]).not.toBe(base[1]);
    // the base train: every point
    const lr = prints(FIXTURE.replace("lr: 1e-3", "lr: 2e-3"));
    expect(lr.filter((f, i) => f === base[i])).toEqual([]);
    // --steps trains something else
    expect(prints(FIXTURE, 3).filter((f, i) => f === base[i])).toEqual([]);
  });
});
