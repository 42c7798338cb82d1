// The multi-threaded wasm build in Node: it starts (Node 20 has SharedArrayBuffer and wasm
// threads, so nothing here is skipped), computes what the single-threaded build computes, and
// falls back to that build with a one-line note where threads cannot start. Each switch of thread
// count replaces the wasm backend, so every tensor is made after the switch it is used under.
import { afterAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import {
  BackendError,
  currentThreads,
  selectBackend,
  wasmThreadsWanted,
} from "../../src/runtime/backend.js";
import { DEFAULT_WASM_THREADS, MAX_WASM_THREADS } from "../../src/runtime/threads.js";
import { parseRunArgs, RunUsageError } from "../../src/runtime/run/main.js";
import { patternBatch, tinyCode, tinyModel } from "./helpers.js";

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * A 2-D matMul (XNNPACK's path, split across the pool), a transposed one and a gather along
 * axis 1 (mmc's wasm kernels, ops/wasm-matmul.ts and ops/wasm-kernels.ts, and the stock kernel
 * they fall back to, which must be bound to the new backend's module), and a small decoder's
 * logits.
 */
async function compute(): Promise<{ matmul: Float32Array; logits: Float32Array }> {
  const [m, k, n] = [67, 129, 95];
  const a = tf.tensor2d(values(m * k, 1), [m, k]);
  const b = tf.tensor2d(values(k * n, 2), [k, n]);
  const product = tf.tidy(() =>
    tf.concat([
      tf.reshape(tf.matMul(a, b), [-1]),
      tf.reshape(tf.matMul(a, a, true, false), [-1]),
      tf.reshape(tf.gather(a, tf.tensor1d([5, 0, 128], "int32"), 1), [-1]),
    ]),
  );
  const matmul = (await product.data()) as Float32Array;
  tf.dispose([a, b, product]);
  const config = { width: 64, mlp: { fn: "swiglu", hidden: 192 } };
  const model = tinyModel(config, 3);
  const code = await tinyCode(config);
  const out = tf.tidy(() => code.forward(model, patternBatch(4, 16)).logits);
  const logits = (await out.data()) as Float32Array;
  out.dispose();
  model.dispose();
  return { matmul, logits };
}

function expectClose(got: Float32Array, want: Float32Array): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs((got[i] as number) - (want[i] as number));
    worst = Math.max(worst, diff / (1 + Math.abs(want[i] as number)));
  }
  expect(worst).toBeLessThan(1e-5);
}

describe("wasm threads", () => {
  afterAll(async () => {
    await selectBackend("wasm", { threads: 1 });
  });

  it("starts the threaded build in Node and matches the single-threaded one", async () => {
    expect(typeof SharedArrayBuffer).toBe("function");
    expect(await selectBackend("wasm", { threads: 1 })).toBe("wasm");
    expect(currentThreads()).toBe(1);
    const single = await compute();

    const notes: string[] = [];
    expect(await selectBackend("wasm", { threads: 2, note: (l) => notes.push(l) })).toBe("wasm");
    expect(notes).toEqual([]);
    expect(tf.getBackend()).toBe("wasm");
    expect(currentThreads()).toBe(2);
    const threaded = await compute();
    expectClose(threaded.matmul, single.matmul);
    expectClose(threaded.logits, single.logits);

    // and back: one thread again is the single-threaded build
    await selectBackend("wasm", { threads: 1 });
    expect(currentThreads()).toBe(1);
    expectClose((await compute()).matmul, single.matmul);
  });

  it("falls back to the single-threaded build with a note where threads cannot start", async () => {
    await selectBackend("wasm", { threads: 1 });
    const notes: string[] = [];
    const sab = Object.getOwnPropertyDescriptor(globalThis, "SharedArrayBuffer")!;
    delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
    try {
      expect(await selectBackend("wasm", { threads: 2, note: (l) => notes.push(l) })).toBe("wasm");
    } finally {
      Object.defineProperty(globalThis, "SharedArrayBuffer", sab);
    }
    expect(notes).toEqual([
      "note: the multi-threaded wasm build did not start (this JavaScript engine has no SharedArrayBuffer); using the single-threaded one",
    ]);
    expect(currentThreads()).toBe(1);
    const one = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await tf.sum(one).data())).toEqual([6]);
    one.dispose();
  });

  it("takes the count from the option, then MMC_THREADS, then the default", async () => {
    expect(wasmThreadsWanted(3, { MMC_THREADS: "2" })).toBe(3);
    expect(wasmThreadsWanted(undefined, { MMC_THREADS: "2" })).toBe(2);
    expect(wasmThreadsWanted(undefined, {})).toBe(DEFAULT_WASM_THREADS);
    expect(() => wasmThreadsWanted(undefined, { MMC_THREADS: "many" })).toThrow(
      /MMC_THREADS must be a whole number from 1 to 8, not `many`/,
    );
    expect(() => wasmThreadsWanted(MAX_WASM_THREADS + 1)).toThrow(BackendError);
    await expect(selectBackend("cpu", { threads: 0 })).rejects.toThrow(/threads must be/);
    expect(parseRunArgs(["--threads", "2"])).toEqual({ threads: 2 });
    expect(() => parseRunArgs(["--threads", "9"])).toThrow(RunUsageError);
  });
});
