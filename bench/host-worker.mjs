// Would a second JS thread pay for the JS-loop kernels on wasm? The threaded wasm build's heap is a
// SharedArrayBuffer, so a worker can take half the rows of a kernel in place. This times the
// cross-entropy forward's loop (tiny's [1024, 260] logits: each row's max, then its log-sum-exp)
// on the main thread alone against split with one worker woken by Atomics, with and without a
// wasm product just before each call (XNNPACK's pool threads spin for a while after a product and
// take the second core), and the wake-and-answer round trip. An experiment for
// docs/benchmarks.md, not a kernel the runtime uses.
// Run: npm run build && node bench/host-worker.mjs
import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend } from "../dist/runtime/index.js";

await selectBackend("wasm", { threads: 2 });
const backend = tf.backend();
const memory = backend.wasm.wasmMemory;
if (!(memory.buffer instanceof SharedArrayBuffer)) {
  console.error("the wasm heap is not shared here (the single-threaded build): nothing to measure");
  process.exit(2);
}

/** Each row's log-sum-exp of rows [r0, r1), in place in the heap (float offsets). */
function lseRows(h, logits, lse, r0, r1, vocab) {
  for (let i = r0; i < r1; i++) {
    const o = logits + i * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, h[o + j]);
    let s = 0;
    for (let j = 0; j < vocab; j++) s += Math.exp(h[o + j] - max);
    h[lse + i] = max + Math.log(s);
  }
}

// ctl: [0] task number, [1] task done, [2] ready, [4..8] the task's arguments.
const ctl = new Int32Array(new SharedArrayBuffer(64));
const worker = new Worker(
  `const { workerData } = require("node:worker_threads");
const { memory, ctl } = workerData;
const lseRows = ${lseRows.toString()};
let seen = 0;
Atomics.store(ctl, 2, 1);
for (;;) {
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  lseRows(new Float32Array(memory.buffer), ctl[4], ctl[5], ctl[6], ctl[7], ctl[8]);
  Atomics.store(ctl, 1, seen);
  Atomics.notify(ctl, 1);
}`,
  { eval: true, workerData: { memory, ctl } },
);
worker.unref();
while (Atomics.load(ctl, 2) !== 1) await new Promise((r) => setTimeout(r, 5));

const n = 1024;
const vocab = 260;
const logits = tf.randomNormal([n, vocab]);
const lse = tf.zeros([n]);
const lo = backend.dataIdMap.get(logits.dataId).memoryOffset / 4;
const lseo = backend.dataIdMap.get(lse.dataId).memoryOffset / 4;
const a = tf.randomNormal([1024, 128]);
const b = tf.randomNormal([128, 344]);
let task = 0;
const post = (r0, r1) => {
  ctl[4] = lo;
  ctl[5] = lseo;
  ctl[6] = r0;
  ctl[7] = r1;
  ctl[8] = vocab;
  task++;
  Atomics.store(ctl, 0, task);
  Atomics.notify(ctl, 0);
};
const join = () => {
  while (Atomics.load(ctl, 1) !== task) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 1000);
};
const run = (split) => {
  if (split === 0) return lseRows(new Float32Array(memory.buffer), lo, lseo, 0, n, vocab);
  const mid = Math.floor(n * split);
  post(mid, n);
  lseRows(new Float32Array(memory.buffer), lo, lseo, 0, mid, vocab);
  join();
};

for (const afterProduct of [false, true])
  for (const split of [0, 0.5, 0, 0.5]) {
    for (let i = 0; i < 20; i++) run(split);
    let t = 0;
    for (let i = 0; i < 50; i++) {
      if (afterProduct) tf.matMul(a, b).dispose();
      const t0 = performance.now();
      run(split);
      t += performance.now() - t0;
    }
    console.log(
      `${afterProduct ? "after a product" : "alone          "}  ${split === 0 ? "main thread only " : "half to the worker"}  ${(t / 50).toFixed(3)} ms`,
    );
  }
const t0 = performance.now();
for (let i = 0; i < 1000; i++) {
  post(0, 0);
  join();
}
console.log(`round trip (an empty task): ${(performance.now() - t0).toFixed(1)} us`);
process.exit(0);
