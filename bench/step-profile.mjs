// Where a training step's time goes on one backend: kernels per step by kind, each kind's share of
// the step's wall time and, for matrix products, their own GFLOP/s (timed around each kernel, so
// true on the synchronous backends, wasm and cpu; on webgpu it is dispatch time), then the main
// thread's busiest functions (a V8 CPU profile taken in-process).
// Run: npm run build && node bench/step-profile.mjs [--backend wasm] [--threads N]
//      [--config tiny|mid|anchor|mid-swiglu] [--steps N] [--shapes] [--flag NAME=VALUE ...]
// --shapes splits products by operand shapes; --flag sets a tfjs environment flag (e.g.
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64).
import { Session } from "node:inspector/promises";
import * as tf from "@tensorflow/tfjs-core";
import {
  AdamW,
  MultimodalModel,
  currentThreads,
  selectBackend,
  trainStep,
} from "../dist/runtime/index.js";
import { CONFIGS, batchFor, decoderInput, describe } from "./step-configs.mjs";
import { timeKernels } from "./kernel-timer.mjs";
import { modelCode } from "./model-code.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
// mid-swiglu: the mid shape as a SwiGLU, rope, RMSNorm decoder (the webgpu profile in README.md)
const PROFILED = {
  ...CONFIGS,
  "mid-swiglu": {
    ...CONFIGS.mid,
    mlp: { fn: "swiglu", hidden: 2048 },
    norm: "rms",
    position: "rope",
  },
};
const which = option("config", "tiny");
const base = PROFILED[which];
if (base === undefined) {
  console.error(`--config takes ${Object.keys(PROFILED).join(", ")}, not ${which}`);
  process.exit(2);
}
const steps = Number(option("steps", "3"));
const threads = option("threads", undefined);
const backend = await selectBackend(option("backend", "webgpu"), {
  ...(threads === undefined ? {} : { threads: Number(threads) }),
});
args.forEach((a, i) => {
  if (a !== "--flag") return;
  const [name, value] = args[i + 1].split("=");
  tf.env().set(name, Number.isNaN(Number(value)) ? value === "true" : Number(value));
});
// wasm's heap (4 GiB) takes the mid batch in passes; a GPU backend takes it in one
const c = backend === "wasm" || backend === "cpu" ? base : { ...base, micro: undefined };
const synchronous = backend === "wasm" || backend === "cpu";

const model = MultimodalModel.fromInput(decoderInput(c), 1);
const { loss } = await modelCode(decoderInput(c));
const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
const batch = batchFor(c);
const step = () => trainStep(model, opt, batch, 1e-4, { loss, microBatch: c.micro });
for (let i = 0; i < 2; i++) await step(); // compile, warm

/** Kernel kind: products are told apart by operand rank (2-D ones reach XNNPACK on wasm). */
function kindOf(name, inputs, attrs) {
  if (name !== "BatchMatMul") return name;
  const shapes = Object.values(inputs).map((t) => t.shape);
  const t = attrs?.transposeA || attrs?.transposeB ? " (transposed)" : "";
  if (args.includes("--shapes")) return `MatMul ${shapes.map((s) => s.join("x")).join(" * ")}${t}`;
  return shapes[0].length === 2 ? `MatMul 2-D${t}` : `BatchMatMul rank ${shapes[0].length}${t}`;
}

function productFlops(inputs, attrs) {
  const [a, b] = Object.values(inputs).map((t) => t.shape);
  const m = attrs?.transposeA ? a.at(-1) : a.at(-2);
  const k = attrs?.transposeA ? a.at(-2) : a.at(-1);
  const n = attrs?.transposeB ? b.at(-2) : b.at(-1);
  const batches = a.slice(0, -2).reduce((x, y) => x * y, 1);
  return 2 * m * k * n * batches;
}

// Time each outermost kernel (a kernel may run others inside it).
const byKind = new Map();
const stopTiming = timeKernels((name, inputs, attrs, ms) => {
  const key = kindOf(name, inputs, attrs);
  const row = byKind.get(key) ?? { count: 0, ms: 0, flops: 0 };
  row.count++;
  row.ms += ms;
  if (name === "BatchMatMul") row.flops += productFlops(inputs, attrs);
  byKind.set(key, row);
});
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const wall = (performance.now() - t0) / steps;
stopTiming();

const rows = [...byKind].sort((a, b) => b[1].ms - a[1].ms);
const kernels = rows.reduce((a, [, r]) => a + r.count, 0) / steps;
const inKernels = rows.reduce((a, [, r]) => a + r.ms, 0) / steps;
console.log(
  `${backend}${currentThreads() === undefined ? "" : ` (${currentThreads()} threads)`}, ${which}: ${describe(c)}`,
);
console.log(
  `${(wall / 1000).toFixed(3)} s a step (mean of ${steps}, timed around kernels), ${kernels.toFixed(0)} kernels a step, ${(wall / kernels).toFixed(3)} ms a kernel`,
);
console.log(
  `time by kernel kind${synchronous ? "" : " (dispatch only: this backend runs kernels asynchronously)"}, per step:`,
);
for (const [key, r] of rows.slice(0, 16)) {
  const gf = r.flops > 0 ? `  ${(r.flops / (r.ms / 1000) / 1e9).toFixed(1)} GFLOP/s` : "";
  console.log(
    `  ${key.padEnd(34)} ${String(Math.round(r.count / steps)).padStart(6)} x ${(r.ms / steps).toFixed(1).padStart(9)} ms ${((100 * r.ms) / steps / wall).toFixed(1).padStart(5)}%${gf}`,
  );
}
if (rows.length > 16) {
  const rest = rows.slice(16).reduce((a, [, r]) => a + r.ms, 0) / steps;
  console.log(
    `  ${`(${rows.length - 16} more kinds)`.padEnd(43)} ${rest.toFixed(1).padStart(9)} ms ${((100 * rest) / wall).toFixed(1).padStart(5)}%`,
  );
}
const products = rows.filter(([k]) => /MatMul/.test(k));
const productMs = products.reduce((a, [, r]) => a + r.ms, 0) / steps;
const productFlop = products.reduce((a, [, r]) => a + r.flops, 0) / steps;
console.log(
  `  ${"all matrix products".padEnd(43)} ${productMs.toFixed(1).padStart(9)} ms ${((100 * productMs) / wall).toFixed(1).padStart(5)}%  ${(productFlop / (productMs / 1000) / 1e9).toFixed(1)} GFLOP/s`,
);
console.log(
  `  ${"outside kernels (tape, JS, reads)".padEnd(43)} ${(wall - inKernels).toFixed(1).padStart(9)} ms ${((100 * (wall - inKernels)) / wall).toFixed(1).padStart(5)}%`,
);

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.start");
for (let i = 0; i < steps; i++) await step();
const { profile } = await session.post("Profiler.stop");
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
console.log("main thread's busiest functions (self time, V8 CPU profile):");
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}`);
opt.dispose();
model.dispose();
