// The page side of bench/webgpu-browser.mjs (bundled for chromium with the generated model code):
// trains the same model from the same weights on cpu and on webgpu in one page and counts, per
// step, tfjs kernels (outermost runKernel calls, by name) and what reaches WebGPU itself: compute
// dispatches (dispatchWorkgroups, by the tfjs kernel that issued them), queue submits, buffer
// readbacks (mapAsync), buffers, bind groups and pipelines made.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import {
  AdamW,
  MultimodalModel,
  setFusedOps,
  setRawDispatch,
  trainStep,
} from "../dist/runtime/index.js";
import { batchFor, decoderInput } from "./step-configs.mjs";

let phase = "forward+backward";
let kernel = "(outside a kernel)";
let counting = false;
const counts = () => ({
  kernels: new Map(),
  gpuByKernel: new Map(),
  byPhase: new Map(),
  gpu: { dispatches: 0, submits: 0, readbacks: 0, buffers: 0, bindGroups: 0, pipelines: 0 },
});
let c = counts();
const bump = (m, k, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

function wrapMethod(proto, key, each) {
  if (proto === undefined || typeof proto[key] !== "function") return;
  const original = proto[key];
  proto[key] = function (...a) {
    if (counting) each();
    return original.apply(this, a);
  };
}
// WebGPU's own entry points, wrapped once for the page.
wrapMethod(globalThis.GPUComputePassEncoder?.prototype, "dispatchWorkgroups", () => {
  c.gpu.dispatches++;
  bump(c.gpuByKernel, kernel);
  bump(c.byPhase, phase);
});
wrapMethod(globalThis.GPUQueue?.prototype, "submit", () => c.gpu.submits++);
wrapMethod(globalThis.GPUBuffer?.prototype, "mapAsync", () => c.gpu.readbacks++);
wrapMethod(globalThis.GPUDevice?.prototype, "createBuffer", () => c.gpu.buffers++);
wrapMethod(globalThis.GPUDevice?.prototype, "createBindGroup", () => c.gpu.bindGroups++);
wrapMethod(globalThis.GPUDevice?.prototype, "createComputePipeline", () => c.gpu.pipelines++);
wrapMethod(globalThis.GPUDevice?.prototype, "createComputePipelineAsync", () => c.gpu.pipelines++);

const wrapPhase = (target, key, name) => {
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
wrapPhase(AdamW, "globalNorm", "gradient norm");
wrapPhase(AdamW.prototype, "apply", "optimizer update");

const engine = tf.engine();
const runKernel = engine.runKernel.bind(engine);
let depth = 0;
engine.runKernel = (name, inputs, attrs) => {
  const outer = kernel;
  if (depth === 0) kernel = name;
  depth++;
  try {
    return runKernel(name, inputs, attrs);
  } finally {
    depth--;
    if (depth === 0) {
      kernel = outer;
      if (counting) bump(c.kernels, name);
    }
  }
};

const perStep = (m, steps) =>
  Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n / steps]));

/**
 * `steps` counted steps after one warm-up step on `backend`; losses of every step. `adamFused`
 * false runs the op-by-op optimizer.
 */
async function trainOn(backend, code, cfg, steps, adamFused = true) {
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`);
  await tf.ready();
  const input = decoderInput(cfg);
  const model = MultimodalModel.fromInput(input, 1);
  const opt = new AdamW(model.params, { lr: 1e-3, weightDecay: 0.1, clip: 1 });
  if (!adamFused) opt.fused = false;
  const data = batchFor(cfg);
  const losses = [];
  const gradNorms = [];
  const dropped = [];
  const step = async () => {
    const r = await trainStep(model, opt, data, 1e-3, { loss: code.loss });
    losses.push(r.loss);
    gradNorms.push(r.gradNorm);
    dropped.push(r.dropped);
  };
  await step();
  c = counts();
  counting = true;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const ms = (performance.now() - t0) / steps;
  counting = false;
  const kernels = [...c.kernels.values()].reduce((a, b) => a + b, 0) / steps;
  const result = {
    backend,
    fusedAdamW: opt.fused,
    parameterTensors: model.params.specs.length,
    losses,
    gradNorms,
    moeDropped: dropped,
    kernelsPerStep: kernels,
    kernels: perStep(c.kernels, steps),
    gpu: Object.fromEntries(Object.entries(c.gpu).map(([k, n]) => [k, n / steps])),
    gpuByKernel: perStep(c.gpuByKernel, steps),
    gpuByPhase: perStep(c.byPhase, steps),
    msPerStep: ms,
    tensorsAfter: tf.memory().numTensors,
  };
  opt.dispose();
  model.dispose();
  return result;
}

/**
 * Installs window.__mmcRun for the bench: { config, steps, fusedOps, backends } in, per-backend
 * results out; or { config, steps, runs }, each run { backend, fusedOps, adamFused, raw } (raw:
 * whether raw WebGPU dispatches are allowed, ops/webgpu-raw.ts).
 */
export function install(code) {
  window.__mmcRun = async ({ config, steps, backends, fusedOps, runs }) => {
    const out = [];
    const plan = runs ?? backends.map((backend) => ({ backend, fusedOps }));
    for (const r of plan) {
      setFusedOps(r.fusedOps ?? {});
      setRawDispatch(r.raw ?? true);
      out.push(await trainOn(r.backend, code, config, steps, r.adamFused ?? true));
    }
    return out;
  };
}
