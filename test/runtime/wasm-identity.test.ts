// wasm's Identity shares its input's buffer (ops/wasm-kernels.ts) where tfjs's stock kernel copies
// it. Sharing must be invisible: a clone outlives its source, a variable's clone keeps the old
// values after the variable is assigned, training gives bit-identical losses and weights with
// either kernel, and no buffer outlives a step.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { setWasmIdentitySharing } from "../../src/runtime/ops/wasm-kernels.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

const code = await tinyCode();

/** Losses, grad norms and final weights of `steps` training steps from seed 3. */
async function train(steps: number) {
  const model = tinyModel({}, 3);
  const opt = new AdamW(model.params, { lr: 1e-2, clip: 1, weightDecay: 0.1 });
  const records: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await trainStep(model, opt, patternBatch(), 1e-2, { loss: code.loss });
    records.push(r.loss, r.gradNorm);
  }
  const weights = model.params.entries().map(([name, p]) => [name, p.dataSync().slice()] as const);
  opt.dispose();
  model.dispose();
  return { records, weights };
}

describe("wasm Identity by reference", () => {
  afterEach(() => setWasmIdentitySharing(true));

  it("shares the buffer, and the clone outlives its source", async () => {
    await useBackend("wasm");
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numDataBuffers;
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(tf.memory().numDataBuffers).toBe(before);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before - 1);

    setWasmIdentitySharing(false);
    const a = tf.tensor1d([4, 5]);
    const b = tf.clone(a);
    expect(b.dataId).not.toBe(a.dataId);
    tf.dispose([a, b]);
  });

  it("a variable's clone keeps its values when the variable is assigned", async () => {
    await useBackend("wasm");
    const v = tf.variable(tf.tensor1d([1, 2]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8]));
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([7, 8]);
    tf.dispose([v, snapshot]);
  });

  it("trains bit-identically to the copying kernel and leaks nothing", async () => {
    await useBackend("wasm");
    setWasmIdentitySharing(false);
    const copying = await train(4);
    setWasmIdentitySharing(true);
    const start = tf.memory();
    const sharing = await train(4);
    expect(tf.memory().numDataBuffers).toBe(start.numDataBuffers);
    expect(tf.memory().numTensors).toBe(start.numTensors);
    // The steps learn (identical records of an untrained model would prove little).
    expect(sharing.records[6]).toBeLessThan((sharing.records[0] as number) * 0.9);
    expect(sharing.records).toEqual(copying.records);
    for (const [i, [name, w]] of sharing.weights.entries()) {
      const [otherName, other] = copying.weights[i] as (typeof copying.weights)[number];
      expect(name).toBe(otherName);
      expect(w).toEqual(other);
    }
  });
});
