// The optimizer's part of a step alone (global norm, clipping and AdamW over a config's weights,
// random gradients), fused against op by op, interleaved in one process: the per-pair ratio
// op by op / fused, median and range, with the 1-minute load average.
// Run: npm run build && node bench/optimizer-step.mjs [wasm|cpu] [tiny|mid|anchor] [pairs]
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { AdamW, MultimodalModel, selectBackend } from "../dist/runtime/index.js";
import { CONFIGS, decoderInput } from "./step-configs.mjs";

const [backendName = "wasm", which = "tiny", pairs = "20"] = process.argv.slice(2);
await selectBackend(backendName, { threads: 2 });
const model = MultimodalModel.fromInput(decoderInput(CONFIGS[which]), 1);
const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
const grads = new Map(
  model.params.entries().map(([n, p], i) => [n, tf.randomNormal(p.shape, 0, 1e-2, "float32", i)]),
);
const time = async (fused) => {
  opt.fused = fused;
  const t0 = performance.now();
  const normT = AdamW.globalNorm(grads, fused);
  if (fused) {
    opt.apply(grads, 1e-4, normT);
    await normT.data();
  } else {
    const n = (await normT.data())[0];
    opt.apply(grads, 1e-4, n);
  }
  normT.dispose();
  await model.params.entries()[0][1].data();
  return performance.now() - t0;
};
for (let i = 0; i < 2; i++) {
  await time(true);
  await time(false);
}
const f = [],
  u = [],
  r = [];
for (let i = 0; i < Number(pairs); i++) {
  const a = await time(false);
  const b = await time(true);
  u.push(a);
  f.push(b);
  r.push(a / b);
}
const med = (x) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
console.log(
  `${backendName} ${which}: norm+update op by op median ${med(u).toFixed(1)} ms, fused ${med(f).toFixed(1)} ms, per-pair ratio median ${med(r).toFixed(2)}x [${Math.min(...r).toFixed(2)} - ${Math.max(...r).toFixed(2)}], ${pairs} pairs, load ${loadavg()[0].toFixed(1)}`,
);
