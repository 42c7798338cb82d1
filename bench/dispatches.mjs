// Kernel dispatches per training step on one backend, by kernel name and by phase (forward and
// backward, gradient norm, optimizer update), and the tensors and data buffers alive after each
// step. It counts calls into tfjs's engine (`runKernel`), outermost only: a kernel that runs
// others inside it is one dispatch from the runtime's side.
// Run: npm run build && node bench/dispatches.mjs [--backend wasm|cpu|webgpu] [--config tiny|mid]
//      [--sequence N] [--batch N] [--steps N] [--unfused] [--unfused-layers] [--copy-identity]
//      [--softmax-ops | --softmax-fused] [--attention-fused] [--flat-matmul] [--ops a,b] [--time N]
//      [--threads N] [--json FILE]
// The count depends on the model's structure and the passes per step, not on the sequence or
// the batch rows: --sequence and --batch shrink a slow config (mid) to count it quickly; the
// passes (mid: 4 on wasm and cpu) are kept. --unfused forces AdamW's op-by-op path;
// --unfused-layers SwiGLU's, rotary's, cross-entropy's and attention's softmax's
// (ops/fused-switch.ts), --softmax-ops / --softmax-fused the softmax's alone; --copy-identity
// wasm's stock Identity, which copies its input (ops/wasm-kernels.ts shares it); --flat-matmul
// wasm's stock BatchMatMul, with the products flattened by ops/matmul.ts (explicit transposes,
// per-slice products) instead of ops/wasm-matmul.ts's kernel. --time N
// then times N more steps (the counting wrapper removed) and prints their median and range, with
// the 1-minute load average: run it from two builds in turn to compare them.
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import {
  AdamW,
  MultimodalModel,
  selectBackend,
  setFusedOps,
  setWasmIdentitySharing,
  setWasmMatMul,
  trainStep,
} from "../dist/runtime/index.js";
import { modelCode } from "./model-code.mjs";
import { CONFIGS, batchFor, decoderInput, describe } from "./step-configs.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const which = option("config", "tiny");
const base = CONFIGS[which];
if (base === undefined) {
  console.error(`--config takes ${Object.keys(CONFIGS).join(", ")}, not ${which}`);
  process.exit(2);
}
const backend = await selectBackend(option("backend", "wasm"), {
  threads: Number(option("threads", "1")),
});
const passes =
  backend === "wasm" || backend === "cpu" ? base.batch / (base.micro ?? base.batch) : 1;
const sequence = Number(option("sequence", String(base.sequence)));
const batch = Number(option("batch", String(base.batch)));
if (batch % passes !== 0) {
  console.error(`--batch must be a multiple of the ${passes} passes`);
  process.exit(2);
}
const c = { ...base, sequence, batch, micro: passes > 1 ? batch / passes : undefined };
const steps = Number(option("steps", "2"));

const model = MultimodalModel.fromInput(decoderInput(c), 1);
const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
if (args.includes("--unfused")) opt.fused = false;
if (args.includes("--unfused-layers"))
  setFusedOps({ swiglu: false, rope: false, crossEntropy: false, maskedSoftmax: false });
// Attention's scaled masked softmax alone, forced either way (its default is fused-switch.ts's).
if (args.includes("--softmax-ops")) setFusedOps({ maskedSoftmax: false });
if (args.includes("--softmax-fused")) setFusedOps({ maskedSoftmax: true });
// The fused attention core (ops/fused-attention.ts), off by default everywhere.
if (args.includes("--attention-fused")) setFusedOps({ attention: true });
// --ops a,b: those fused ops (ops/fused-switch.ts names) forced to their op-by-op forms.
for (const name of option("ops", "")
  .split(",")
  .filter((n) => n !== ""))
  setFusedOps({ [name]: false });
if (args.includes("--copy-identity")) setWasmIdentitySharing(false);
if (args.includes("--flat-matmul")) setWasmMatMul(false);
const data = batchFor(c);
const { loss } = await modelCode(decoderInput(c));
const step = () => trainStep(model, opt, data, 1e-4, { loss, microBatch: c.micro });

const memory = () => {
  const m = tf.memory();
  return { tensors: m.numTensors, buffers: m.numDataBuffers };
};
const before = memory();

// The phase a kernel ran in: the optimizer's own calls are wrapped, everything else is the
// forward and backward passes (with the gradient sums over passes).
let phase = "forward+backward";
const wrap = (target, key, name) => {
  const original = target[key];
  target[key] = function (...a) {
    const outer = phase;
    phase = name;
    try {
      return original.apply(this, a);
    } finally {
      phase = outer;
    }
  };
};
wrap(AdamW, "globalNorm", "gradient norm");
wrap(AdamW.prototype, "apply", "optimizer update");

const engine = tf.engine();
const original = engine.runKernel.bind(engine);
const byName = new Map();
const byPhase = new Map();
let depth = 0;
let counting = false;
engine.runKernel = (name, inputs, attrs) => {
  depth++;
  try {
    return original(name, inputs, attrs);
  } finally {
    depth--;
    if (depth === 0 && counting) {
      byName.set(name, (byName.get(name) ?? 0) + 1);
      byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
    }
  }
};

const afterSteps = [];
await step(); // the first step also builds what later steps reuse
afterSteps.push(memory());
counting = true;
for (let i = 0; i < steps; i++) {
  await step();
  afterSteps.push(memory());
}
counting = false;

const total = [...byName.values()].reduce((a, b) => a + b, 0) / steps;
const result = {
  backend,
  config: which,
  shape: describe(c),
  fused: opt.fused,
  parameterTensors: model.params.specs.length,
  dispatchesPerStep: total,
  byPhase: Object.fromEntries([...byPhase].map(([k, n]) => [k, n / steps])),
  byKernel: Object.fromEntries(
    [...byName].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / steps]),
  ),
  memory: { beforeFirstStep: before, afterEachStep: afterSteps },
};
console.log(
  `${backend}, ${which}: ${describe(c)}; AdamW ${opt.fused ? "fused" : "op by op"}; ` +
    `SwiGLU, rotary, cross-entropy ${args.includes("--unfused-layers") ? "op by op" : "as ops/fused-switch.ts says"}`,
);
console.log(
  `${total} dispatches a step (mean of ${steps} steps after the first), ${model.params.specs.length} parameter tensors`,
);
for (const [k, n] of byPhase) console.log(`  ${k.padEnd(20)} ${String(n / steps).padStart(6)}`);
console.log("by kernel:");
for (const [k, n] of Object.entries(result.byKernel))
  console.log(`  ${k.padEnd(24)} ${String(n).padStart(6)}`);
console.log(
  `tensors / data buffers: ${before.tensors} / ${before.buffers} before the first step, then ` +
    afterSteps.map((m) => `${m.tensors} / ${m.buffers}`).join(", "),
);
const timed = Number(option("time", "0"));
if (timed > 0) {
  engine.runKernel = original;
  const ms = [];
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  result.stepMs = {
    median: ms[Math.floor(ms.length / 2)],
    min: ms[0],
    max: ms.at(-1),
    steps: timed,
  };
  result.load = loadavg()[0];
  console.log(
    `step time over ${timed} steps: median ${result.stepMs.median.toFixed(1)} ms ` +
      `(${result.stepMs.min.toFixed(1)} - ${result.stepMs.max.toFixed(1)} ms), load ${result.load.toFixed(2)}`,
  );
}
const json = option("json", undefined);
if (json !== undefined) writeFileSync(json, JSON.stringify(result, null, 2) + "\n");
opt.dispose();
model.dispose();
