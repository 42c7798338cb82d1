// wasm's BatchMatMul sends batched and transposed products to XNNPACK over heap offsets
// (ops/wasm-matmul.ts) where tfjs's stock kernel runs a scalar loop. Differential, two
// independent ways: each product against the explicit path (transposes materialised by tfjs's
// Transpose kernel, slices by unstack, one stock 2-D product each, stacked) to the bit, and
// against the cpu backend within float rounding; the cases it leaves to the stock kernel still
// give the stock kernel's result; nothing stays allocated; and training through the transpose
// flags equals training through the explicit path (ops/matmul.ts with the kernel off) to the bit.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import {
  planProduct,
  setWasmMatMul,
  transposeInto,
  wasmKernelProducts,
} from "../../src/runtime/ops/wasm-matmul.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

const code = await tinyCode();

/** Deterministic values of a shape (no two slices alike). */
function values(shape: readonly number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed) * 1.5);
  return tf.tensor(v, [...shape]);
}

/** The product the explicit way, on 2-D untransposed stock products only. */
function explicit(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  return tf.tidy(() => {
    const swap = (x: tf.Tensor) => {
      const perm = x.shape.map((_, i) => i);
      perm[x.rank - 1] = x.rank - 2;
      perm[x.rank - 2] = x.rank - 1;
      return tf.transpose(x, perm);
    };
    const a1 = ta ? swap(a) : a;
    const b1 = tb ? swap(b) : b;
    const [m, k] = a1.shape.slice(-2) as [number, number];
    const n = b1.shape.at(-1) as number;
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(
      a1.shape.slice(0, -2),
      b1.shape.slice(0, -2),
    );
    const batch = outer.reduce((x, y) => x * y, 1);
    const a3 = tf.reshape(a1, [-1, m, k]);
    const b3 = tf.reshape(b1, [-1, k, n]);
    const as = tf.unstack(a3);
    const bs = tf.unstack(b3);
    const slices = Array.from({ length: batch }, (_, s) =>
      tf.matMul(
        as[as.length === 1 ? 0 : s] as tf.Tensor2D,
        bs[bs.length === 1 ? 0 : s] as tf.Tensor2D,
      ),
    );
    return tf.reshape(tf.stack(slices), [...outer, m, n]);
  });
}

const CASES: [string, number[], number[], boolean, boolean][] = [
  ["2-D, transposeB (dy W^T)", [37, 24], [19, 24], false, true],
  ["2-D, transposeA (x^T dy)", [37, 24], [37, 19], true, false],
  ["2-D, both", [24, 37], [19, 24], true, true],
  ["batched", [5, 17, 8], [5, 8, 13], false, false],
  ["batched, transposeB (q k^T)", [6, 16, 8], [6, 16, 8], false, true],
  ["batched, transposeA", [3, 9, 16], [3, 9, 7], true, false],
  ["batched, both", [4, 8, 11], [4, 5, 8], true, true],
  ["a broadcast: [1, m, k] x [b, k, n]", [1, 9, 6], [4, 6, 5], false, false],
  ["b broadcast, merged into one call", [4, 9, 6], [6, 5], false, false],
  ["b broadcast and transposed", [4, 9, 6], [5, 6], false, true],
  ["b broadcast, a transposed", [4, 6, 9], [1, 6, 5], true, false],
  ["rank 4, heads", [2, 3, 10, 4], [2, 3, 4, 10], false, false],
  ["k = 1", [3, 7, 1], [3, 1, 5], false, false],
];

describe("wasm BatchMatMul over heap offsets", () => {
  afterEach(() => setWasmMatMul(true));

  it("transposes blocks of every shape up to 9 x 9 at any offset, in tiles and edges", () => {
    for (let rows = 1; rows <= 9; rows++)
      for (let cols = 1; cols <= 9; cols++) {
        const src = Float32Array.from({ length: rows * cols + 3 }, (_, i) => i + 0.5);
        const dst = new Float32Array(rows * cols + 5).fill(-1);
        transposeInto(src, 3, rows, cols, dst, 2);
        const want = new Float32Array(rows * cols + 5).fill(-1);
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < cols; j++) want[2 + j * rows + i] = src[3 + i * cols + j] as number;
        expect(Array.from(dst)).toEqual(Array.from(want));
      }
  });

  for (const [name, as, bs, ta, tb] of CASES)
    it(`equals the explicit path to the bit and cpu within rounding: ${name}`, async () => {
      await useBackend("cpu");
      const ca = values(as, 1);
      const cb = values(bs, 2);
      const cpu = Array.from(await tf.matMul(ca, cb, ta, tb).data());
      tf.dispose([ca, cb]);
      await useBackend("wasm");
      const a = values(as, 1);
      const b = values(bs, 2);
      const buffers = tf.memory().numTensors;
      const before = wasmKernelProducts();
      const y = tf.matMul(a, b, ta, tb);
      expect(wasmKernelProducts()).toBe(before + 1);
      setWasmMatMul(false);
      const e = explicit(a, b, ta, tb);
      expect(y.shape).toEqual(e.shape);
      const got = Array.from(await y.data());
      expect(got).toEqual(Array.from(await e.data()));
      expect(got.length).toBe(cpu.length);
      for (let i = 0; i < got.length; i++)
        expect(Math.abs((got[i] as number) - (cpu[i] as number))).toBeLessThan(
          1e-5 * (1 + Math.abs(cpu[i] as number)),
        );
      tf.dispose([y, e]);
      expect(tf.memory().numTensors).toBe(buffers);
      tf.dispose([a, b]);
    });

  it("leaves plain 2-D products, mismatched batches and int32 to the stock kernel", async () => {
    await useBackend("wasm");
    const before = wasmKernelProducts();
    const a = values([7, 5], 1);
    const b = values([5, 3], 2);
    tf.matMul(a, b).dispose();
    expect(planProduct([2, 1, 4, 5], [1, 3, 5, 6], false, false)).toBeUndefined();
    expect(planProduct([2, 4, 5], [3, 5, 6], false, false)).toBeUndefined();
    expect(planProduct([4, 5], [6, 7], false, false)).toBeUndefined();
    expect(wasmKernelProducts()).toBe(before);
    // tfjs's own messages for what it cannot do.
    expect(() => tf.matMul(a, values([4, 3], 3))).toThrow(/inner shapes/);
    const i = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
    expect(() => tf.matMul(i, i, false, true)).toThrow(/float32/);
    tf.dispose([a, b, i]);
  });

  it("keeps transposing into the heap after it grows between slices (single-threaded build)", async () => {
    // The single-threaded build's heap is a plain ArrayBuffer, detached when it grows; XNNPACK's
    // packed copy of each slice's b (16 MiB here) makes it grow between slices.
    await selectBackend("wasm", { threads: 1 });
    try {
      const a = values([3, 256, 64], 1);
      const b = values([3, 256, 4096], 2);
      const y = tf.matMul(a, b, true, false);
      setWasmMatMul(false);
      const e = explicit(a, b, true, false);
      // Counted, not compared as arrays: a failing toEqual over 786,432 numbers never finishes its diff.
      const got = await y.data();
      const want = await e.data();
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) differ++;
      expect(got.length).toBe(want.length);
      expect(differ).toBe(0);
      tf.dispose([a, b, y, e]);
    } finally {
      setWasmMatMul(true);
      await useBackend("wasm");
    }
  });

  it("frees its views and scratch: the heap does not grow over many products", async () => {
    await useBackend("wasm");
    const a = values([8, 64, 32], 1);
    const b = values([8, 16, 64], 2);
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
    const run = () => tf.tidy(() => tf.sum(tf.matMul(a, b, true, true))).dispose();
    for (let i = 0; i < 5; i++) run();
    const size = heap().length;
    for (let i = 0; i < 300; i++) run();
    expect(heap().length).toBe(size);
    tf.dispose([a, b]);
  });

  it("trains bit-identically to the explicit path (ops/matmul.ts flattening)", async () => {
    await useBackend("wasm");
    const train = async (kernel: boolean) => {
      setWasmMatMul(kernel);
      const model = tinyModel({}, 3);
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 1, weightDecay: 0.1 });
      const records: number[] = [];
      const before = wasmKernelProducts();
      for (let s = 0; s < 4; s++) {
        const r = await trainStep(model, opt, patternBatch(), 1e-2, { loss: code.loss });
        records.push(r.loss, r.gradNorm);
      }
      expect(wasmKernelProducts() > before).toBe(kernel);
      const weights = model.params.entries().map(([, p]) => Array.from(p.dataSync()));
      opt.dispose();
      model.dispose();
      return { records, weights };
    };
    const fast = await train(true);
    const flat = await train(false);
    expect(fast.records).toEqual(flat.records);
    expect(fast.weights).toEqual(flat.weights);
  });
});
