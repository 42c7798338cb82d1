// wasm's GatherV2 by rows (ops/wasm-kernels.ts) against tfjs's stock kernel: the embedding lookup
// of the tiny example ([260, 128] table, 1,024 tokens) and of a 32,000-word vocabulary at width
// 512, alternated, each the mean of several calls.
// Run: npm run build && node bench/wasm-gather.mjs [--rounds N]
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend, setWasmGatherRows } from "../dist/runtime/index.js";
import { benchArgs } from "./args.mjs";

const { count } = benchArgs();
const rounds = count("rounds", "2");
await selectBackend("wasm");
const small = tf.randomNormal([260, 128]);
const big = tf.randomNormal([32000, 512]);
const idx = tf.tensor1d(
  Int32Array.from({ length: 1024 }, (_, i) => (i * 7) % 260),
  "int32",
);
const time = (table, calls) => {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) tf.gather(table, idx).dispose();
  return (performance.now() - t0) / calls;
};
for (let r = 0; r < rounds; r++)
  for (const on of [true, false]) {
    setWasmGatherRows(on);
    console.log(
      `${on ? "rows " : "stock"}  [260, 128] by 1,024: ${time(small, 20).toFixed(3)} ms   ` +
        `[32000, 512] by 1,024: ${time(big, 5).toFixed(3)} ms`,
    );
  }
console.log(`load ${loadavg()[0].toFixed(2)}`);
