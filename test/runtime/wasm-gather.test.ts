// wasm's GatherV2 copies whole rows along axis 0 (ops/wasm-kernels.ts) where tfjs's stock kernel
// moves one element at a time. Differential: the row copies against the stock kernel and against
// the cpu backend, over float32 and int32 tables of rank 1 to 3 and indices of rank 1 and 2; the
// case it leaves to the stock kernel (axis 1; batch dims too, not tested here: tfjs's stock wasm kernel
// read outside its heap on them in one run) still gives the stock kernel's result,
// an index out of range is cpu's error; and training is bit-identical with either kernel.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { setWasmGatherRows, wasmRowGathers } from "../../src/runtime/ops/wasm-kernels.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

const code = await tinyCode();

/** tf.gather(x, indices, axis, batchDims) on `backend`, with the row kernel on or off. */
async function gatherOn(
  backend: "wasm" | "cpu",
  rows: boolean,
  x: { values: readonly number[]; shape: readonly number[]; dtype: "float32" | "int32" },
  indices: { values: readonly number[]; shape: readonly number[] },
  axis = 0,
  batchDims = 0,
): Promise<number[]> {
  await useBackend(backend);
  setWasmGatherRows(rows);
  const t = tf.tensor([...x.values], [...x.shape], x.dtype);
  const i = tf.tensor([...indices.values], [...indices.shape], "int32");
  try {
    const y = tf.gather(t, i, axis, batchDims);
    const out = Array.from(await y.data());
    y.dispose();
    return out;
  } finally {
    tf.dispose([t, i]);
  }
}

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe("wasm GatherV2 by rows", () => {
  afterEach(() => setWasmGatherRows(true));

  for (const [name, x, indices] of [
    [
      "float32 [260, 8] by [37]",
      { values: range(2080, (i) => Math.sin(i)), shape: [260, 8], dtype: "float32" },
      { values: range(37, (i) => (i * 7) % 260), shape: [37] },
    ],
    [
      "int32 [10, 3, 2] by [2, 5]",
      { values: range(60, (i) => i * 3 - 7), shape: [10, 3, 2], dtype: "int32" },
      { values: [9, 0, 3, 3, 1, 2, 8, 7, 0, 9], shape: [2, 5] },
    ],
    [
      "float32 [6] by [4]",
      { values: [0.5, -1, 2, 3.25, 4, 5], shape: [6], dtype: "float32" },
      { values: [5, 0, 5, 2], shape: [4] },
    ],
    [
      "float32 [4, 3] by none",
      { values: range(12, (i) => i), shape: [4, 3], dtype: "float32" },
      { values: [], shape: [0] },
    ],
  ] as const)
    it(`gives the stock kernel's and cpu's values: ${name}`, async () => {
      const args = [
        { ...x, values: [...x.values], shape: [...x.shape] },
        { values: [...indices.values], shape: [...indices.shape] },
      ] as const;
      const before = wasmRowGathers();
      const fast = await gatherOn("wasm", true, ...args);
      expect(wasmRowGathers()).toBe(before + 1);
      const stock = await gatherOn("wasm", false, ...args);
      const cpu = await gatherOn("cpu", true, ...args);
      expect(fast).toEqual(stock);
      expect(fast).toEqual(cpu);
    });

  it("leaves other axes to the stock kernel, and refuses an index out of range", async () => {
    const x = { values: range(24, (i) => i + 0.5), shape: [4, 6], dtype: "float32" as const };
    const axis1 = { values: [5, 0, 2], shape: [3] };
    expect(await gatherOn("wasm", true, x, axis1, 1)).toEqual(
      await gatherOn("wasm", false, x, axis1, 1),
    );
    // An index out of range: cpu's error, where the stock wasm kernel reads outside its heap.
    const outside = { values: [1, 7], shape: [2] };
    const message = "GatherV2: the index value 7 is not in [0, 3]";
    await expect(gatherOn("cpu", true, x, outside)).rejects.toThrow(message);
    await expect(gatherOn("wasm", true, x, outside)).rejects.toThrow(message);
  });

  it("trains bit-identically with either kernel (the embedding lookup is a gather)", async () => {
    await useBackend("wasm");
    const run = async (rows: boolean) => {
      setWasmGatherRows(rows);
      const model = tinyModel({}, 3);
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 1, weightDecay: 0.1 });
      const losses: number[] = [];
      const before = wasmRowGathers();
      for (let s = 0; s < 5; s++)
        losses.push((await trainStep(model, opt, patternBatch(), 1e-2, { loss: code.loss })).loss);
      // The row kernel ran (the embedding lookup each step) exactly when it was on.
      expect(wasmRowGathers() > before).toBe(rows);
      const weights = model.params.entries().map(([, p]) => Array.from(p.dataSync()));
      opt.dispose();
      model.dispose();
      return { losses, weights };
    };
    const fast = await run(true);
    const stock = await run(false);
    expect(fast.losses).toEqual(stock.losses);
    expect(fast.weights).toEqual(stock.weights);
  });
});
