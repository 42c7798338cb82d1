// `mmc run` end to end on a micro model: synthetic data generated on first use, training with
// metrics and checkpoints, resume from the checkpoint, Ctrl-C writing a checkpoint, bad flags.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MMC, mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-run-"));
const spec = join(dir, "micro.mm");
copyFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), spec);

function records(type: string): Record<string, unknown>[] {
  const path = join(dir, "runs", "micro", "metrics.jsonl");
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r["type"] === type);
}

describe("mmc run", () => {
  test("generates the missing corpus, trains, evaluates, checkpoints", () => {
    const r = mmc(["run", spec, "--backend", "cpu"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("the synthetic corpus is missing: writing it to");
    expect(r.stdout).toContain("on the cpu backend");
    expect(r.stdout).toMatch(/finished at step 4\/4/);
    expect(existsSync(join(dir, "data", "synth", "synth.json"))).toBe(true);
    expect(existsSync(join(dir, "runs", "micro", "step-00000004.safetensors"))).toBe(true);
    const steps = records("step");
    expect(steps.map((s) => s["step"])).toEqual([1, 2, 3, 4]);
    for (const s of steps) {
      expect(Number.isFinite(s["loss"])).toBe(true);
      expect(s["sources"]).toBeTypeOf("object");
    }
    const evals = records("eval");
    expect(evals.map((e) => e["step"])).toEqual([2, 4]);
    expect(evals[0]!["caption_loss"]).toBeTypeOf("number");
  });

  test("--resume continues from the checkpoint's step", () => {
    const r = mmc(["run", spec, "--backend", "cpu", "--resume", "--steps", "6"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("resuming from step 4");
    expect(r.stdout).not.toContain("corpus is missing");
    expect(records("step").map((s) => s["step"])).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("Ctrl-C writes a checkpoint and exits cleanly", async () => {
    const child = spawn(
      process.execPath,
      [MMC, "run", spec, "--backend", "cpu", "--steps", "400", "--fresh"],
      {
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    let out = "";
    const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (/step 2\/400/.test(out)) resolve();
      });
    });
    child.kill("SIGINT");
    const code = await done;
    expect(out).toContain("interrupted: finishing this step and writing a checkpoint");
    expect(out).toMatch(/checkpoint: step \d+ ->/);
    expect(code).toBe(130);
  });

  test("a backend that does not load is a clear error", () => {
    const r = mmc(["run", spec, "--backend", "tensorflow", "--steps", "1", "--fresh"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: backend `tensorflow` did not load .*install/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("bad usage exits 2", () => {
    expect(mmc(["run", spec, "--train", "nope"]).status).toBe(2);
    expect(mmc(["run", spec, "--steps", "zero"]).status).toBe(2);
    expect(mmc(["run", spec, "--backend", "tpu"]).status).toBe(2);
  });
});
