// `mmc run` never loses or blindly trusts a checkpoint: a new run refuses a folder that holds one
// (--fresh moves it aside), the newest `keep` checkpoints are kept, a damaged newest one is passed
// over for the previous one, an exploding loss stops the run without saving, SIGTERM checkpoints
// like Ctrl-C, and a CPU-only run shows no GPU driver noise.
import { spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { MMC, mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-safety-"));
const spec = join(dir, "micro.mm");
const runs = join(dir, "runs");
const run = (...args: string[]) => mmc(["run", spec, "--backend", "cpu", ...args], { cwd: dir });
const files = (d: string): string[] => readdirSync(join(runs, d)).sort();

beforeAll(() => {
  copyFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), spec);
  const r = run("--steps", "2");
  expect(r.status, r.stderr).toBe(0);
});

describe("a run folder that holds a run", () => {
  test("is refused without --resume, and left as it was", () => {
    const before = readFileSync(join(runs, "micro", "step-00000002.safetensors"));
    const metrics = readFileSync(join(runs, "micro", "metrics.jsonl"), "utf8");
    const r = run("--steps", "1");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      "error: `runs/micro` already holds a run (1 checkpoint (up to step 2) and `metrics.jsonl`): continue it with --resume, or start over with --fresh (which moves it to `runs/micro.old-N`; nothing is deleted)\n",
    );
    expect(r.stdout).toBe("");
    expect(readFileSync(join(runs, "micro", "step-00000002.safetensors")).equals(before)).toBe(
      true,
    );
    expect(readFileSync(join(runs, "micro", "metrics.jsonl"), "utf8")).toBe(metrics);
  });

  test("--fresh moves it to the next free `.old-N` and starts over", () => {
    const before = readFileSync(join(runs, "micro", "step-00000002.safetensors"));
    const r = run("--steps", "1", "--fresh");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "--fresh: moved the previous run (1 checkpoint (up to step 2) and `metrics.jsonl`) to runs/micro.old-1\n",
    );
    expect(files("micro.old-1")).toEqual([
      "latest.json",
      "metrics.jsonl",
      "step-00000002.safetensors",
    ]);
    expect(
      readFileSync(join(runs, "micro.old-1", "step-00000002.safetensors")).equals(before),
    ).toBe(true);
    expect(files("micro")).toEqual(["latest.json", "metrics.jsonl", "step-00000001.safetensors"]);
    const again = run("--steps", "1", "--fresh");
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("to runs/micro.old-2\n");
    expect(existsSync(join(runs, "micro.old-1", "step-00000002.safetensors"))).toBe(true);
  });

  test("--fresh and --resume together are bad usage", () => {
    const r = run("--fresh", "--resume");
    expect(r.stderr).toBe(
      "error: `--resume` continues the run in the folder and `--fresh` moves it aside: give one of them\n",
    );
    expect(r.status).toBe(2);
  });
});

describe("a run", () => {
  test("names its folder in its first lines", () => {
    const r = run("--steps", "2", "--fresh");
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => !l.startsWith("--fresh"));
    expect(lines[0]).toMatch(/^train micro \(.*micro\.mm:22\) on the cpu backend \(1 thread\)$/);
    expect(lines[1]).toBe(
      "run folder: runs/micro (metrics.jsonl; a checkpoint every 2 steps, the newest 3 kept)",
    );
  });

  test("keeps the newest `keep` checkpoints the spec asks for", () => {
    const kept = join(dir, "keep.mm");
    writeFileSync(
      kept,
      readFileSync(spec, "utf8").replace(
        'checkpoint: { every: 2, dir: "runs/micro" }',
        'checkpoint: { every: 1, dir: "runs/keep", keep: 2 }',
      ),
    );
    const r = mmc(["run", kept, "--backend", "cpu", "--steps", "4"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("a checkpoint every 1 step, the newest 2 kept");
    expect(files("keep")).toEqual([
      "latest.json",
      "metrics.jsonl",
      "step-00000003.safetensors",
      "step-00000004.safetensors",
    ]);
  });

  test("resumes from the previous checkpoint when the newest is damaged, saying why that is safe", () => {
    const began = Date.now() / 1000;
    const r0 = run("--steps", "4", "--fresh");
    expect(r0.status, r0.stderr).toBe(0);
    const newest = join(runs, "micro", "step-00000004.safetensors");
    const bytes = readFileSync(newest);
    writeFileSync(newest, bytes.subarray(0, bytes.length - 10));
    const r = run("--steps", "5", "--resume");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "warning: `runs/micro/step-00000004.safetensors` (step 4) is damaged: tensor `",
    );
    expect(r.stdout).toContain(
      "it is not loaded (kept as `step-00000004.safetensors.damaged`). Resuming from the previous checkpoint, step 2, which verified and holds the data stream's position at that step, so the run trains steps 3-4 again on the same data and nothing is lost",
    );
    expect(r.stdout).toContain("resuming from step 2");
    expect(r.stdout).toMatch(/finished at step 5\/5/);
    const records = readFileSync(join(runs, "micro", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { type: string; step: number; time: number; data_seconds: number },
      )
      .filter((x) => x.type === "step");
    expect(records.map((x) => x.step)).toEqual([1, 2, 3, 4, 5]);
    // Each step record carries its wall clock (within this test, forward in time except where
    // the resumed run logged steps 3-4 again) and the time its batch took.
    for (const x of records) {
      expect(x.time).toBeGreaterThanOrEqual(began);
      expect(x.time).toBeLessThanOrEqual(Date.now() / 1000);
      expect(x.data_seconds).toBeGreaterThan(0);
      expect(x.data_seconds).toBeLessThan(60);
    }
    expect(records[4]!.time).toBeGreaterThanOrEqual(records[3]!.time);
    expect(readFileSync(`${newest}.damaged`).length).toBe(bytes.length - 10);
  });
});

describe("a loss that explodes", () => {
  test("stops the run with exit 1, keeping the last good checkpoint (lr 10 on the tiny model)", () => {
    // The case: examples/tiny.mm at lr 10 went 5.6 -> 21,886 and exited 0.
    const tiny = join(dir, "tiny-lr10.mm");
    writeFileSync(
      tiny,
      readFileSync(join(ROOT, "examples", "tiny.mm"), "utf8")
        .replace("lr: 3e-3", "lr: 10")
        .replace(
          'checkpoint: { every: 250, dir: "runs/tiny" }',
          'checkpoint: { every: 1, dir: "runs/tiny" }',
        ),
    );
    const r = mmc(["run", tiny, "--train", "tiny", "--backend", "wasm", "--steps", "8"], {
      cwd: dir,
    });
    expect(r.stderr).toMatch(
      /^error: the loss exploded after step 2 \(checked before saving it\): cross-entropy \d+\.\d+ is above 11\.\d+, the larger of ln\(vocab\) = 5\.56 \(a uniform guess\) and 2 x the best smoothed loss so far \(5\.\d+\); stopped without saving this state; the last good checkpoint, `runs\/tiny\/step-00000001\.safetensors`, is kept\. Lower the learning rate/,
    );
    expect(r.status).toBe(1);
    expect(files("tiny")).toEqual(["latest.json", "metrics.jsonl", "step-00000001.safetensors"]);
  });
});

/** Spawns `mmc run` for 400 steps and resolves once it has logged step 2. */
async function startLongRun(): Promise<{
  child: ReturnType<typeof spawn>;
  output: () => string;
  exit: Promise<number | null>;
}> {
  const child = spawn(
    process.execPath,
    [MMC, "run", spec, "--backend", "cpu", "--steps", "400", "--fresh"],
    { cwd: dir, env: { ...process.env, NO_COLOR: "1" } },
  );
  let out = "";
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (/step 2\/400/.test(out)) resolve();
    });
  });
  return { child, output: () => out, exit };
}

describe("SIGTERM", () => {
  test("finishes the step, writes a checkpoint and exits 143, like Ctrl-C", async () => {
    const { child, output, exit } = await startLongRun();
    child.kill("SIGTERM");
    const code = await exit;
    expect(output()).toContain(
      "SIGTERM received: finishing this step and writing a checkpoint (a second SIGTERM to quit at once)",
    );
    const saved = /checkpoint: step (\d+) -> runs\/micro\/step-0*\1\.safetensors/.exec(output());
    expect(saved, output()).not.toBeNull();
    expect(output()).toMatch(/stopped at step \d+\/400/);
    expect(code).toBe(143);
    const r = run("--steps", String(Number(saved![1]) + 1), "--resume");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`resuming from step ${saved![1]}`);
  });

  test("a second run into the folder while one writes there is refused", async () => {
    const { child, exit } = await startLongRun();
    const r = run("--steps", "500", "--resume");
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: another run \\(pid ${child.pid} on [^)]+\\) is writing to \`runs/micro\`: wait for it or stop it`,
      ),
    );
    expect(r.status).toBe(1);
    child.kill("SIGTERM");
    expect(await exit).toBe(143);
    expect(existsSync(join(runs, "micro", "run.lock"))).toBe(false);
  });

  test("a lock left by a run that is gone is taken over", () => {
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(join(runs, "micro", "run.lock"), JSON.stringify({ pid: gone, host: hostname() }));
    const r = run("--steps", "1", "--fresh");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`left by a run that is no longer running (pid ${gone})`);
    expect(existsSync(join(runs, "micro", "run.lock"))).toBe(false);
  });

  test("a second signal quits at once", async () => {
    const { child, output, exit } = await startLongRun();
    child.kill("SIGTERM");
    child.kill("SIGINT");
    const code = await exit;
    // Linux hands over pending signals lowest number first, so either may count as the first.
    expect([130, 143]).toContain(code);
    expect(output()).not.toMatch(/stopped at step/);
    expect(existsSync(join(runs, "micro", "run.lock"))).toBe(false);
  });
});

describe("a CPU-only machine", () => {
  const gpuNoise = /Vulkan|Dawn|^error:/m;

  test("`mmc run --steps 2` on auto prints no GPU driver lines", () => {
    const r = mmc(["run", spec, "--steps", "2", "--fresh"], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toMatch(gpuNoise);
  });

  test("probing the GPU under auto keeps Dawn's own output out of the terminal", () => {
    const script = `import { selectBackend } from ${JSON.stringify(join(ROOT, "dist", "runtime", "index.js"))}; console.log("picked", await selectBackend("auto"));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, MMC_THREADS: "1" },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^picked (tensorflow|webgpu|wasm)\n$/);
    if (!r.stdout.includes("webgpu")) expect(r.stderr).toBe("");
  });

  test("--backend webgpu without an adapter is one clean line", (ctx) => {
    const r = mmc(["run", spec, "--backend", "webgpu", "--steps", "1", "--fresh"], { cwd: dir });
    if (r.status === 0) ctx.skip("this machine has a WebGPU adapter");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error: backend `webgpu` did not load \([^\n]*\): [^\n]*Vulkan[^\n]*\n$/,
    );
  });
});
