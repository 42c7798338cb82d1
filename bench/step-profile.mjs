// Where a training step's time goes on one backend: kernels per step by kind, seconds per step,
// and the main thread's busiest functions (a V8 CPU profile taken in-process). Written to find
// the fixed per-kernel cost of GPU backends, where a step is launches rather than arithmetic.
// Run: npm run build && node bench/step-profile.mjs [--backend webgpu] [--config tiny|mid]
//      [--steps N] [--flag NAME=VALUE ...] (tfjs environment flags, e.g.
//      WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64)
import { Session } from "node:inspector/promises";
import * as tf from "@tensorflow/tfjs-core";
import { AdamW, MultimodalModel, selectBackend, trainStep } from "../dist/runtime/index.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const CONFIGS = {
  tiny: { vocab: 260, width: 128, depth: 2, heads: 2, hidden: 344, batch: 8, sequence: 128 },
  mid: { vocab: 512, width: 512, depth: 8, heads: 8, hidden: 2048, batch: 16, sequence: 256 },
};
const c = CONFIGS[option("config", "tiny")];
const steps = Number(option("steps", "3"));
const backend = await selectBackend(option("backend", "webgpu"));
args.forEach((a, i) => {
  if (a !== "--flag") return;
  const [name, value] = args[i + 1].split("=");
  tf.env().set(name, Number.isNaN(Number(value)) ? value === "true" : Number(value));
});

const model = MultimodalModel.fromInput(
  {
    llm: {
      kind: "Decoder",
      config: {
        vocab: c.vocab,
        width: c.width,
        depth: c.depth,
        heads: c.heads,
        context: c.sequence,
        mlp: { fn: "swiglu", hidden: c.hidden },
        position: "rope",
        norm: "rms",
      },
    },
  },
  1,
);
const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
const n = c.batch * c.sequence;
const tokens = new Int32Array(n).map((_, i) => (i * 7) % c.vocab);
const batch = {
  batchSize: c.batch,
  sequence: c.sequence,
  tokens,
  lossMask: new Uint8Array(n).fill(1),
};
for (let i = 0; i < 2; i++) await trainStep(model, opt, batch, 1e-4); // compile, warm

const prof = await tf.profile(async () => {
  await trainStep(model, opt, batch, 1e-4);
});
const counts = new Map();
for (const k of prof.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
console.log(
  `${backend}, ${option("config", "tiny")}: ${prof.kernels.length} kernels a step (${top.map(([k, v]) => `${k} ${v}`).join(", ")})`,
);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.start");
const t0 = performance.now();
for (let i = 0; i < steps; i++) await trainStep(model, opt, batch, 1e-4);
const seconds = (performance.now() - t0) / 1000 / steps;
const { profile } = await session.post("Profiler.stop");
console.log(
  `${seconds.toFixed(3)} s a step, ${((seconds * 1e3) / prof.kernels.length).toFixed(3)} ms a kernel`,
);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const f = byId.get(id).callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-1)[0]}:${f.lineNumber}`;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
opt.dispose();
model.dispose();
