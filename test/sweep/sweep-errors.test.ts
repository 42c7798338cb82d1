// `mmc sweep`'s failures are clear lines with the right exit status, never a stack trace: bad
// usage (2), points that do not check (1, nothing trained, each problem naming its points), and
// points that fail while training (marked `failed`, the others still run, exit 1).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseSweepManifest } from "../../src/report/sweep-format.js";
import { mmc, ROOT } from "../cli/run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-errors-"));
const FIXTURE = readFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), "utf8");
copyFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), join(dir, "micro.mm"));
const sweep = (args: string[]) => mmc(["sweep", ...args], { cwd: dir });

describe("mmc sweep errors", () => {
  test("bad usage is exit 2 with one line", () => {
    writeFileSync(join(dir, "grid.mm"), FIXTURE);
    for (const [args, message] of [
      [[], /needs one file/],
      [["grid.mm", "--resume", "--fresh"], /give one of them/],
      [["grid.mm", "--jobs", "0"], /`--jobs` must be an integer of at least 1/],
      [["micro.mm"], /has no `sweep` to run/],
      [["grid.mm", "--sweep", "nope"], /has no `sweep nope` \(it has `grid`\)/],
    ] as const) {
      const r = sweep([...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test("points that do not check: every problem, naming its points; nothing trains", () => {
    const bad = FIXTURE.replace(
      "report: [loss, caption_accuracy, params]",
      "vary batch: [2, 0]\n  vary steps: [4, 0]",
    );
    writeFileSync(join(dir, "bad.mm"), bad);
    const r = sweep(["bad.mm", "--backend", "cpu"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("`batch` is 0");
    expect(r.stderr).toContain("`steps` is 0");
    expect(r.stderr).toMatch(
      /in 4 of the 8 points of `sweep grid`: p2 \(model\.connector = AvgPool \{ tokens: 4 \}, batch = 0, steps = 4\)/,
    );
    expect(existsSync(join(dir, "sweeps"))).toBe(false);
  });

  test("a point that fails while training is marked failed; the sweep goes on and exits 1", () => {
    // no synthesize and no data: each point fails when it opens its data
    const nodata = FIXTURE.replace('  synthesize: "data/synth"\n', "").replaceAll(
      "data/synth/",
      "data/none/",
    );
    writeFileSync(join(dir, "nodata.mm"), nodata);
    const r = sweep(["nodata.mm", "--backend", "cpu", "--steps", "1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: point p0 \(AvgPool \{ tokens: 4 \}\) failed \(exit 1\)/);
    expect(r.stderr).toMatch(/error: point p1 \(Pool\) failed/);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    const m = parseSweepManifest(readFileSync(join(dir, "sweeps", "grid", "sweep.json"), "utf8"));
    expect(m.points.map((p) => p.status)).toEqual(["failed", "failed"]);
  }, 120_000);
});
