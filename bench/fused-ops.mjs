// The fused layer ops (ops/fused-elementwise.ts, ops/fused-loss.ts) against their op-by-op forms,
// alone: forward and backward of SwiGLU, rotary positions (queries and keys), the masked
// cross-entropy and attention's scaled masked softmax (with its scores' matmul) at the tiny step's shapes, timed in alternation (fused, op by op, ...), each
// repetition's time the mean of a few calls; prints the median and the minimum of each, and the
// 1-minute load average. Run: npm run build && node bench/fused-ops.mjs [--backend wasm|cpu]
//      [--reps N]
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend, setFusedOps } from "../dist/runtime/index.js";
import { swiglu } from "../dist/runtime/layers/mlp.js";
import { applyRope, ropeTables } from "../dist/runtime/layers/positions.js";
import { crossEntropy } from "../dist/runtime/train/loss.js";
import { attentionProbs } from "../dist/runtime/layers/attention.js";
import { benchArgs } from "./args.mjs";

const { option, count } = benchArgs();
const backend = await selectBackend(option("backend", "wasm"));
const reps = count("reps", "15");
// tiny: 8 x 128 tokens, hidden 344, 2 heads of 64, vocab 260.
const [rows, hidden, heads, t, hd, vocab] = [1024, 344, 2, 128, 64, 260];
const gate = tf.randomNormal([rows, hidden], 0, 2, "float32", 1);
const up = tf.randomNormal([rows, hidden], 0, 1, "float32", 2);
const q = tf.randomNormal([8, heads, t, hd], 0, 1, "float32", 3);
const [cos, sin] = ropeTables(t, hd, 10000);
const logits = tf.randomNormal([rows, vocab], 0, 3, "float32", 4);
const targets = tf.tensor1d(
  Int32Array.from({ length: rows }, (_, i) => (i * 7) % vocab),
  "int32",
);
const mask = tf.tensor1d(Float32Array.from({ length: rows }, (_, i) => (i % 128 === 0 ? 0 : 1)));
const keys = tf.randomNormal([8 * heads, hd, t], 0, 1, "float32", 5);
const attn = { headDim: hd, causal: true };
const cases = {
  swiglu: () => tf.grads((g, u) => tf.sum(swiglu(g, u)))([gate, up]),
  rope: () => tf.grads((x) => tf.sum(tf.mul(applyRope(x, cos, sin), x)))([q]),
  crossEntropy: () => tf.grads((l) => crossEntropy(l, targets, mask))([logits]),
  // The scores and the softmax of the queries q against the keys, causal (the matmul included).
  maskedSoftmax: () =>
    tf.grads((x) => tf.sum(tf.mul(attentionProbs(x, keys, attn, 8 * heads, t, t), 0.5)))([q]),
};
const time = (f) => {
  const start = performance.now();
  for (let i = 0; i < 4; i++) {
    const out = f();
    for (const o of out) o.dataSync();
    tf.dispose(out);
  }
  return (performance.now() - start) / 4;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${backend}, ${reps} alternating repetitions of 4 calls (forward and backward)`);
for (const [name, f] of Object.entries(cases)) {
  const fused = [];
  const ops = [];
  for (let r = 0; r < reps + 1; r++) {
    setFusedOps({ [name]: true });
    const a = time(f);
    setFusedOps({ [name]: false });
    const b = time(f);
    // The first is warm-up.
    if (r > 0) {
      fused.push(a);
      ops.push(b);
    }
  }
  setFusedOps({ [name]: undefined });
  console.log(
    `  ${name.padEnd(13)} fused median ${median(fused).toFixed(2)} ms (min ${Math.min(...fused).toFixed(2)}), ` +
      `op by op median ${median(ops).toFixed(2)} ms (min ${Math.min(...ops).toFixed(2)}): ` +
      `${(median(ops) / median(fused)).toFixed(2)}x`,
  );
}
console.log(`load ${loadavg()[0].toFixed(2)}`);
