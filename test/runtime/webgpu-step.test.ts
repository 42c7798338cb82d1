// Whole training steps on tfjs's webgpu backend in chromium (SwiftShader) through
// bench/webgpu-browser.mjs, which trains the same model from the same weights on cpu and webgpu
// in one page and exits 1 when their losses differ by more than 1e-4. Counted, not timed: the
// tiny step's WebGPU dispatches (issue 16's aim, 5x fewer than the 725 of 7c30037) and its one
// readback; and a mid step with 8 tokens, whose products with a long transposed inner dimension
// once took tfjs's wrong split-K program (ops/webgpu-matmul.ts) and trained on wrong gradients.
// Needs `npm run build` (the bench runs dist/). Skipped without chromium.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { haveChromium } from "../../bench/chromium-webgpu.mjs";

const BENCH = join(import.meta.dirname, "..", "..", "bench", "webgpu-browser.mjs");

interface BenchJson {
  worst: number;
  runs: { backend: string; losses: number[]; gpu: { dispatches: number; readbacks: number } }[];
}

function bench(args: string[]): {
  status: number | null;
  json: BenchJson | undefined;
  output: string;
} {
  const json = join(mkdtempSync(join(tmpdir(), "mmc-webgpu-step-")), "out.json");
  const r = spawnSync(process.execPath, [BENCH, ...args, "--json", json], { encoding: "utf8" });
  let parsed: BenchJson | undefined;
  try {
    parsed = JSON.parse(readFileSync(json, "utf8")) as BenchJson;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, json: parsed, output: `${r.stdout}\n${r.stderr}` };
}

describe.skipIf(!haveChromium)("training steps on webgpu in chromium", () => {
  it("runs the tiny step in at most 145 dispatches and one readback, with cpu's losses", ({
    skip,
  }) => {
    const r = bench(["--config", "tiny", "--sequence", "32", "--batch", "2", "--steps", "1"]);
    if (r.output.includes("no WebGPU adapter")) return skip("chromium gave no WebGPU adapter");
    expect(r.status, r.output).toBe(0);
    const gpu = r.json!.runs.find((x) => x.backend === "webgpu")!;
    expect(gpu.gpu.dispatches).toBeLessThanOrEqual(145);
    expect(gpu.gpu.readbacks).toBe(1);
    expect(r.json!.worst).toBeLessThan(1e-4);
  }, 120_000);

  it("trains a mid step with 8 tokens to cpu's losses (no split-K product with transposeB)", ({
    skip,
  }) => {
    const r = bench(["--config", "mid", "--sequence", "8", "--batch", "1", "--steps", "1"]);
    if (r.output.includes("no WebGPU adapter")) return skip("chromium gave no WebGPU adapter");
    expect(r.status, r.output).toBe(0);
    const [cpu, gpu] = r.json!.runs as [BenchJson["runs"][0], BenchJson["runs"][0]];
    expect(gpu.losses.length).toBe(2);
    // The second loss follows the first update: the gradients are what is compared.
    expect(Math.abs(cpu.losses[1]! - gpu.losses[1]!)).toBeLessThan(1e-4);
  }, 180_000);
});
