// wasm's BatchMatMul sends batched and transposed products to XNNPACK over heap offsets
// (ops/wasm-matmul.ts) where tfjs's stock kernel runs a scalar loop. Differential, two
// independent ways: each product against the explicit path (transposes materialised by tfjs's
// Transpose kernel, slices by unstack, one stock 2-D product each, stacked) to the bit, and
// against the cpu backend within float rounding; the cases it leaves to the stock kernel still
// give the stock kernel's result; nothing stays allocated; and training through the transpose
// flags equals training through the explicit path (ops/matmul.ts with the kernel off) to the bit.
// Products with a transposed a that run as their own transpose (C^T = B^T A, "(swapped" cases)
// are held to the same explicit path, with and without the swap in training; a packing kept for
// a shared input is never reused for another shape, and the kept packings stay bounded.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import {
  planProduct,
  setWasmMatMul,
  setWasmMatMulSwap,
  swapPays,
  transposeInto,
  wasmKernelProducts,
  wasmSwappedProducts,
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
  ["2-D, both (swapped: B A, transposed)", [24, 37], [19, 24], true, true],
  ["2-D, transposeA into a wider b (swapped)", [37, 19], [37, 24], true, false],
  ["batched", [5, 17, 8], [5, 8, 13], false, false],
  ["batched, transposeB (q k^T)", [6, 16, 8], [6, 16, 8], false, true],
  ["batched, transposeA", [3, 9, 16], [3, 9, 7], true, false],
  ["batched, both (swapped)", [4, 8, 11], [4, 5, 8], true, true],
  ["batched, transposeA into a wider b (swapped)", [3, 9, 7], [3, 9, 16], true, false],
  ["a broadcast and transposed, wider b (swapped)", [1, 6, 5], [4, 6, 9], true, false],
  ["b broadcast, a transposed, wider b (swapped)", [4, 6, 5], [1, 6, 9], true, false],
  ["a broadcast: [1, m, k] x [b, k, n]", [1, 9, 6], [4, 6, 5], false, false],
  ["b broadcast, merged into one call", [4, 9, 6], [6, 5], false, false],
  ["b broadcast and transposed", [4, 9, 6], [5, 6], false, true],
  ["b broadcast, a transposed", [4, 6, 9], [1, 6, 5], true, false],
  ["rank 4, heads", [2, 3, 10, 4], [2, 3, 4, 10], false, false],
  ["k = 1", [3, 7, 1], [3, 1, 5], false, false],
];

describe("wasm BatchMatMul over heap offsets", () => {
  afterEach(() => {
    setWasmMatMul(true);
    setWasmMatMulSwap(true);
  });

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
      const swapsBefore = wasmSwappedProducts();
      const y = tf.matMul(a, b, ta, tb);
      expect(wasmKernelProducts()).toBe(before + 1);
      expect(wasmSwappedProducts() - swapsBefore).toBe(name.includes("(swapped") ? 1 : 0);
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

  it("swaps where a packs no more than b, is packed already, or both are transposed", () => {
    const plan = (as: number[], bs: number[], ta: boolean, tb: boolean) =>
      planProduct(as, bs, ta, tb) as NonNullable<ReturnType<typeof planProduct>>;
    // x^T dy into a wider layer (m 128 < n 344): packing x (k x m) is the smaller.
    expect(swapPays(plan([1024, 128], [1024, 344], true, false), true, false)).toBe(true);
    expect(swapPays(plan([1024, 344], [1024, 128], true, false), true, false)).toBe(false);
    expect(swapPays(plan([1024, 344], [1024, 128], true, false), true, false, true)).toBe(true);
    expect(swapPays(plan([16, 128, 64], [16, 128, 128], true, false), true, false)).toBe(true);
    expect(swapPays(plan([16, 128, 128], [16, 128, 64], true, false), true, false)).toBe(false);
    expect(swapPays(plan([9, 4], [5, 9], true, true), true, true)).toBe(true);
    expect(swapPays(plan([4, 9], [9, 5], false, false), false, false)).toBe(false);
  });

  it("packs a shared input once for several weight gradients, and never with a stale shape", async () => {
    // x^T dq, x^T dk, x^T dv share one packing of x (a kept alias); the same data reshaped (same
    // data id, another shape) gets its own. tfjs's stock path caches a packing on the weights' id
    // alone: a plain product on x, then one on x reshaped, must not reuse the first.
    const products = (x: tf.Tensor) => {
      const x2 = tf.reshape(x, [8, 12]);
      return [
        tf.matMul(x, values([12, 16], 2), true, false),
        tf.matMul(x, values([12, 10], 3), true, false),
        tf.matMul(x2, values([8, 20], 4), true, false),
        tf.matMul(x, values([12, 16], 6), true, false),
        tf.matMul(values([5, 12], 5), x),
        tf.matMul(values([5, 8], 7), x2),
      ];
    };
    await useBackend("cpu");
    const cx = values([12, 8], 1);
    const cpuWant = products(cx);
    const want = await Promise.all(cpuWant.map((t) => t.data()));
    tf.dispose([cx, ...cpuWant]);
    await useBackend("wasm");
    const x = values([12, 8], 1);
    const swaps = wasmSwappedProducts();
    const got = products(x);
    expect(wasmSwappedProducts() - swaps).toBe(4);
    for (const [i, t] of got.entries()) {
      const g = await t.data();
      const w = want[i] as Float32Array | Int32Array | Uint8Array;
      expect(g.length).toBe(w.length);
      for (let j = 0; j < g.length; j++)
        expect(Math.abs((g[j] as number) - (w[j] as number))).toBeLessThan(
          1e-5 * (1 + Math.abs(w[j] as number)),
        );
    }
    tf.dispose([x, ...got]);
  });

  it("keeps no more than a bounded number of packed inputs: the heap does not grow", async () => {
    await useBackend("wasm");
    const b = values([512, 288], 2);
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
    const swaps = wasmSwappedProducts();
    // A fresh 2-D a each time, as a step's activations are: each is swapped and kept packed
    // (512 KiB a copy: 300 kept would take 150 MiB).
    const a = values([512, 256], 0);
    const run = (i: number) =>
      tf.tidy(() => tf.sum(tf.matMul(tf.add(a, i), b, true, false))).dispose();
    for (let i = 0; i < 5; i++) run(i);
    const size = heap().length;
    for (let i = 0; i < 300; i++) run(i);
    expect(heap().length).toBe(size);
    expect(wasmSwappedProducts() - swaps).toBe(305);
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

  it("trains bit-identically to the explicit path (ops/matmul.ts flattening) and unswapped", async () => {
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
    const swaps = wasmSwappedProducts();
    const fast = await train(true);
    expect(wasmSwappedProducts()).toBeGreaterThan(swaps);
    const flat = await train(false);
    expect(fast.records).toEqual(flat.records);
    expect(fast.weights).toEqual(flat.weights);
    setWasmMatMulSwap(false);
    const direct = await train(true);
    expect(direct.records).toEqual(flat.records);
    expect(direct.weights).toEqual(flat.weights);
  });
});
