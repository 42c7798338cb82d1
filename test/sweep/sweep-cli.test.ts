// `mmc sweep` end to end through bin/mmc on a 2-point micro sweep: the dry run, a real sweep
// with its report, refusing a second sweep into the folder, kill and resume (a finished point is
// not retrained, the stopped one continues from its checkpoint), a changed preset invalidating
// exactly its point, --jobs 2 training both points at once, and an axis value inserted between
// two runs (the finished points keep their folders and are skipped; only the new one trains).
// The resumed sweep's report.html is opened in chromium: every chart drawn, no console error.
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseSweepManifest } from "../../src/report/sweep-format.js";
import { MMC, mmc } from "../cli/run-mmc.js";
import { haveChromium, launchChromium, openPage } from "../report/chromium.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-"));
const spec = join(dir, "grid.mm");
copyFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), spec);
const sweepDir = join(dir, "sweeps", "grid");
const P0 = join(sweepDir, "p0-avgpool-tokens-4");
const P1 = join(sweepDir, "p1-pool");

const run = (args: string[]) =>
  mmc(["sweep", "grid.mm", "--backend", "cpu", ...args], { cwd: dir });
const manifest = () => parseSweepManifest(readFileSync(join(sweepDir, "sweep.json"), "utf8"));
const statuses = () => manifest().points.map((p) => p.status);
const steps = (point: string) =>
  readFileSync(join(point, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; step: number })
    .filter((r) => r.type === "step")
    .map((r) => r.step);

describe("mmc sweep", () => {
  test("--dry-run lists the points and trains nothing", () => {
    const r = run(["--dry-run"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      readFileSync(join(import.meta.dirname, "fixtures", "dry-run.txt"), "utf8"),
    );
    expect(existsSync(sweepDir)).toBe(false);
    const json = JSON.parse(run(["--dry-run", "--json", "--steps", "8"]).stdout) as {
      points: { id: string; steps: number; params: number; estimated_seconds: number }[];
    };
    expect(json.points.map((p) => [p.id, p.steps])).toEqual([
      ["p0", 8],
      ["p1", 8],
    ]);
    expect(json.points[0]!.params).toBeGreaterThan(0);
    expect(json.points[0]!.estimated_seconds).toBeGreaterThan(0);
  });

  test("trains every point into its own folder and writes the report", () => {
    const r = run(["--steps", "2"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("[p0] training p0 (AvgPool { tokens: 4 }) in p0-avgpool-tokens-4");
    expect(r.stdout).toMatch(/sweep grid: 1\/2 points done, \S+ elapsed, ETA \S+/);
    expect(r.stdout).toMatch(/sweep grid: 2\/2 points done/);
    expect(statuses()).toEqual(["done", "done"]);
    expect(manifest().points[1]!.fingerprint).toMatch(/^sha256:/);
    expect(steps(P0)).toEqual([1, 2]);
    expect(steps(P1)).toEqual([1, 2]);
    const md = readFileSync(join(sweepDir, "report.md"), "utf8");
    expect(md).toContain("| p1 | Pool |");
    expect(readFileSync(join(sweepDir, "report.html"), "utf8")).toContain("<svg");
  }, 240_000);

  test("a second sweep into the folder is refused; --resume skips the finished points", () => {
    const again = run(["--steps", "2"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(
      /already holds a sweep \(2 of 2 points done\): continue it with --resume, or start over with --fresh/,
    );
    const r = run(["--steps", "2", "--resume"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("2 done already (skipped)");
    expect(r.stdout).not.toContain("[p0] training");
  }, 120_000);

  test("killed mid-sweep: --resume keeps the finished point and continues the stopped one", async () => {
    const child = spawn(
      process.execPath,
      [MMC, "sweep", "grid.mm", "--backend", "cpu", "--steps", "12", "--fresh"],
      { cwd: dir, env: { ...process.env, NO_COLOR: "1" } },
    );
    let out = "";
    const exited = new Promise<number | null>((resolve) =>
      child.on("close", (code) => resolve(code)),
    );
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (/\[p1\] step 3\/12/.test(out)) resolve();
      });
    });
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(out).toContain("--fresh: moved the previous sweep (2 of 2 points done)");
    expect(out).toMatch(/\[p1\] checkpoint: step \d+ ->/);
    expect(statuses()).toEqual(["done", "running"]);
    const stoppedAt = Math.max(...steps(P1));
    expect(stoppedAt).toBeLessThan(12);
    const p0Before = statSync(join(P0, "metrics.jsonl")).mtimeMs;

    const r = run(["--steps", "12", "--resume"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 done already (skipped)");
    expect(r.stdout).not.toContain("[p0]");
    expect(r.stdout).toMatch(new RegExp(`\\[p1\\] resuming from step ${stoppedAt}`));
    expect(steps(P1)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(statSync(join(P0, "metrics.jsonl")).mtimeMs).toBe(p0Before);
    expect(statuses()).toEqual(["done", "done"]);
    if (!haveChromium) return;
    // The resumed sweep's page in a real browser: the loss curves of both points, a bar chart
    // per reported metric, each with every mark drawn, and nothing in the console.
    const browser = await launchChromium(dir);
    try {
      const seen = await openPage(browser, join(sweepDir, "report.html"), join(dir, "sweep.png"));
      expect(seen.errors).toEqual([]);
      expect(seen.charts.map((c) => [c.title, c.found])).toEqual([
        ["training loss, all points", 2],
        ["loss", 2],
        ["caption_accuracy", 2],
        ["params", 2],
      ]);
      for (const c of seen.charts) {
        expect(c.found).toBe(c.expected);
        expect(c.emptyPaths).toBe(0);
        expect(c.width).toBeGreaterThan(100);
      }
    } finally {
      await browser.close();
    }
  }, 240_000);

  test("a changed preset invalidates exactly the point that uses it, and says so", () => {
    writeFileSync(
      spec,
      readFileSync(spec, "utf8").replace("AttnPool { tokens: 4 }", "AttnPool { tokens: 16 }"),
    );
    const r = run(["--steps", "12", "--resume"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("p1 (Pool) changed since the last sweep");
    expect(r.stdout).toContain("1 done already (skipped)");
    expect(r.stdout).not.toContain("[p0]");
    expect(r.stdout).toMatch(/--fresh: moved the previous run .* to .*p1-pool\.old-1/);
    expect(manifest().points[1]!.derived["image_tokens"]).toBe(16);
  }, 240_000);

  test("--jobs 2 trains both points at once", () => {
    const r = run(["--steps", "3", "--fresh", "--jobs", "2"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("2 at a time");
    // the second point starts before the first is done
    expect(r.stdout.indexOf("[p1] training")).toBeLessThan(r.stdout.indexOf("[p0] done"));
    expect(r.stdout).toContain("(1 thread)");
    expect(statuses()).toEqual(["done", "done"]);
  }, 240_000);

  test("an axis value inserted between runs: the finished points are skipped, the new one trains", () => {
    const before = manifest().points;
    const p1Before = statSync(join(P1, "metrics.jsonl")).mtimeMs;
    writeFileSync(
      spec,
      readFileSync(spec, "utf8").replace(
        "vary model.connector: [AvgPool { tokens: 4 }, Pool]",
        "vary model.connector: [AvgPool { tokens: 4 }, AvgPool { tokens: 1 }, Pool]",
      ),
    );
    const r = run(["--steps", "3", "--resume"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("2 done already (skipped), 1 new (p2)");
    expect(r.stdout).toContain("  new: p2 (AvgPool { tokens: 1 })");
    expect(r.stdout).toContain("  unchanged: p0 (AvgPool { tokens: 4 }) done, p1 (Pool) done");
    expect(r.stdout).toContain("[p2] training p2 (AvgPool { tokens: 1 }) in p2-avgpool-tokens-1");
    expect(r.stdout).not.toMatch(/\[p[01]\] (training|continuing)/);
    const after = manifest().points;
    // grid order, each old point with its own id, folder and fingerprint
    expect(after.map((p) => [p.id, p.dir, p.status])).toEqual([
      ["p0", "p0-avgpool-tokens-4", "done"],
      ["p2", "p2-avgpool-tokens-1", "done"],
      ["p1", "p1-pool", "done"],
    ]);
    expect([after[0]!.fingerprint, after[2]!.fingerprint]).toEqual(
      before.map((p) => p.fingerprint),
    );
    expect(statSync(join(P1, "metrics.jsonl")).mtimeMs).toBe(p1Before);
    expect(steps(join(sweepDir, "p2-avgpool-tokens-1"))).toEqual([1, 2, 3]);
    expect(readFileSync(join(sweepDir, "report.md"), "utf8")).toContain(
      "| p2 | AvgPool { tokens: 1 } |",
    );
    // the dry run reads the manifest too: every point unchanged and done now
    const dry = run(["--dry-run", "--steps", "3"]);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/since last sweep\n/);
    expect(dry.stdout.match(/unchanged, done/g)).toHaveLength(3);
  }, 240_000);
});
