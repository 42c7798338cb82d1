// The webgpu backend in Node, through the optional `webgpu` package (Dawn). Where a WebGPU adapter
// exists (a GPU with a Vulkan driver, or Mesa's llvmpipe on a CPU-only machine), the same training
// steps give the same losses and weights as the cpu backend; where none exists, asking for webgpu
// is a clear error. `auto` never picks a software adapter: it is slower than wasm.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { BackendError, selectBackend } from "../../src/runtime/backend.js";
import { webgpuUnsuitable, type RunConfig } from "../../src/runtime/run/driver.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import {
  ensureNavigatorGpu,
  probeAdapter,
  type WebgpuAdapter,
} from "../../src/runtime/webgpu-node.js";
import { patternBatch, tinyCode, tinyModel } from "./helpers.js";

let adapter: WebgpuAdapter | undefined;
let missing = "";

beforeAll(async () => {
  try {
    adapter = await probeAdapter(await ensureNavigatorGpu());
  } catch (e) {
    missing = e instanceof Error ? e.message : String(e);
  }
});

/** Two training steps from the same seed: losses and every weight afterwards. */
async function twoSteps(): Promise<{ losses: number[]; weights: Map<string, Float32Array> }> {
  const model = tinyModel({ kv_heads: 2 }, 3);
  const { loss } = await tinyCode({ kv_heads: 2 });
  const opt = new AdamW(model.params, { lr: 1e-2, weightDecay: 0.1, clip: 1 });
  const batch = patternBatch();
  const losses: number[] = [];
  for (let i = 0; i < 2; i++)
    losses.push((await trainStep(model, opt, batch, 1e-2, { loss })).loss);
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of model.params.entries())
    weights.set(name, (await v.data()) as Float32Array);
  opt.dispose();
  model.dispose();
  return { losses, weights };
}

describe("webgpu backend", () => {
  it("loads where an adapter exists, and otherwise says what is missing", async () => {
    if (adapter !== undefined) {
      expect(await selectBackend("webgpu")).toBe("webgpu");
      expect(tf.getBackend()).toBe("webgpu");
    } else {
      expect(missing).toMatch(/webgpu|adapter|Vulkan/);
      await expect(selectBackend("webgpu")).rejects.toThrow(BackendError);
      await expect(selectBackend("webgpu")).rejects.toThrow(/Vulkan/);
    }
  });

  it("auto passes a software adapter by", async () => {
    const name = await selectBackend("auto");
    if (adapter?.fallback !== false) expect(name).not.toBe("webgpu");
    // a hardware adapter: webgpu, unless the native binding is installed and came first
    else expect(["tensorflow", "webgpu"]).toContain(name);
  });

  it("trains the same two steps as the cpu backend", async (ctx) => {
    if (adapter === undefined) ctx.skip(`no WebGPU adapter here: ${missing}`);
    await selectBackend("cpu");
    const cpu = await twoSteps();
    await selectBackend("webgpu");
    const gpu = await twoSteps();
    for (let i = 0; i < 2; i++) expect(gpu.losses[i]).toBeCloseTo(cpu.losses[i]!, 4);
    for (const [name, a] of cpu.weights) {
      const b = gpu.weights.get(name)!;
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      expect(diff, name).toBeLessThan(1e-4);
    }
    await selectBackend("cpu");
  });
});

describe("when a run keeps off webgpu", () => {
  const run = (params: number, moe: boolean): RunConfig =>
    ({
      name: "t",
      params,
      batch: 8,
      sequence: 128,
      model: {
        llm: { kind: "Decoder", config: { width: 64, ...(moe ? { moe: { experts: 4 } } : {}) } },
      },
    }) as unknown as RunConfig;

  it("trains MoE on webgpu by name (routing on the device), and under auto takes wasm instead", () => {
    expect(webgpuUnsuitable(run(1e9, true), "webgpu")).toBeUndefined();
    expect(webgpuUnsuitable(run(1e9, true), "auto")).toMatchObject({ fatal: false });
    expect(webgpuUnsuitable(run(1e9, true), "auto")?.why).toMatch(/--backend webgpu forces it/);
  });

  it("under auto leaves small steps to wasm, and obeys a backend given by name", () => {
    // 6 x 587,456 parameters x 1,024 tokens = 3.6 GFLOP: the tiny example
    expect(webgpuUnsuitable(run(587_456, false), "auto")?.why).toMatch(/about 3\.6 GFLOP/);
    expect(webgpuUnsuitable(run(587_456, false), "webgpu")).toBeUndefined();
    // 6 x 100M x 1,024 = 614 GFLOP: worth the GPU
    expect(webgpuUnsuitable(run(100e6, false), "auto")).toBeUndefined();
  });
});
