// Safetensors round trip, exact resume (N steps straight == N/2, save, load, N/2), a clean stop
// on abort, and a non-finite loss that stops training but keeps the last good checkpoint.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  decodeSafetensors,
  encodeSafetensors,
  type StTensor,
} from "../../src/runtime/checkpoint/safetensors.js";
import { newestVerified } from "../../src/runtime/checkpoint/resume.js";
import { NonFiniteLossError, train, type TrainOptions } from "../../src/runtime/train/trainer.js";
import type { ModelBatch } from "../../src/runtime/model.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mmc-ckpt-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe("safetensors", () => {
  it("round-trips tensors and metadata with the documented layout", () => {
    const tensors = new Map<string, StTensor>([
      [
        "a.weight",
        { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
      ],
      ["step", { dtype: "I32", shape: [1], data: Int32Array.from([42]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { mmc: '{"step":3}' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString()) as Record<
      string,
      { data_offsets: number[] }
    >;
    expect(header["a.weight"]!.data_offsets).toEqual([0, 24]);
    expect(header["step"]!.data_offsets).toEqual([24, 28]);
    expect(bytes.length).toBe(8 + headerLen + 28);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ mmc: '{"step":3}' });
    expect(Array.from(back.tensors.get("a.weight")!.data)).toEqual(
      Array.from(tensors.get("a.weight")!.data),
    );
    expect(back.tensors.get("a.weight")!.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.get("step")!.data)).toEqual([42]);
  });
});

/** A deterministic stream: batch i depends only on i, and the stream state is i. */
function stream(start: number): { batches: () => ModelBatch; state: () => number } {
  let i = start;
  return {
    batches: () => {
      const b = patternBatch(2, 16);
      const tokens = b.tokens.map((t) => (t + i) % 40);
      i++;
      return { ...b, tokens };
    },
    state: () => i,
  };
}

const { loss } = await tinyCode();
const base = {
  loss,
  steps: 6,
  optimizer: { lr: 5e-3, betas: [0.9, 0.95] as const, weightDecay: 0.1, clip: 1 },
  schedule: { warmup: 2, final: 0.1 },
};

for (const backend of ["cpu", "wasm"] as const) {
  describe(`resume on ${backend}`, () => {
    it("gives the same weights as an uninterrupted run", async () => {
      await useBackend(backend);
      const straight = tinyModel({}, 5);
      const s1 = stream(0);
      await train({ ...base, model: straight, batches: s1.batches });

      const dir = await tempDir();
      const first = tinyModel({}, 5);
      const s2 = stream(0);
      const opts: TrainOptions = {
        ...base,
        model: first,
        batches: s2.batches,
        checkpoint: { every: 3, dir },
        dataState: s2.state,
      };
      const controller = new AbortController();
      let seen = 0;
      await train({
        ...opts,
        signal: controller.signal,
        onLog: () => (++seen === 3 ? controller.abort() : undefined),
      });
      const meta = (await newestVerified(dir))?.meta;
      expect(meta?.step).toBe(3);
      expect(meta?.data).toBe(3);
      expect(meta?.backend).toBe(backend);
      first.dispose();

      const resumed = tinyModel({}, 99); // different init: everything must come from the checkpoint
      const s3 = stream(meta?.data as number);
      const r = await train({
        ...base,
        model: resumed,
        batches: s3.batches,
        checkpoint: { every: 3, dir },
        resume: true,
      });
      expect(r.resumedFrom?.step).toBe(3);
      for (const [name, v] of straight.params.entries()) {
        const a = v.dataSync();
        const b = resumed.params.get(name).dataSync();
        let diff = 0;
        for (let i = 0; i < a.length; i++)
          diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
        expect(diff, name).toBeLessThan(1e-6);
      }
      straight.dispose();
      resumed.dispose();
    });
  });
}

describe("training stops", () => {
  it("on a non-finite loss with a clear error, keeping the last checkpoint", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const model = tinyModel({}, 1);
    let step = 0;
    const batches = (): ModelBatch => {
      step++;
      if (step === 4) model.params.get("llm.final_norm.weight").assign(tf.fill([32], NaN));
      return patternBatch(2, 16);
    };
    const run = train({ ...base, model, batches, checkpoint: { every: 2, dir } });
    await expect(run).rejects.toThrow(NonFiniteLossError);
    await expect(run).rejects.toThrow(/step 4.*step-00000002\.safetensors/);
    expect((await newestVerified(dir))?.meta.step).toBe(2);
    expect((await readFile(join(dir, "step-00000002.safetensors"))).length).toBeGreaterThan(1000);
    model.dispose();
  });
});
