// The page test/runtime/webgpu-browser.test.ts runs in chromium (bundled with esbuild): the MoE
// routing cases of moe-cases.ts, the host routing on cpu against the device routing on webgpu,
// in one page. `window.__mmcRun` resolves to what each case found.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import {
  caseShape,
  deviceDispatch,
  hostDispatch,
  layerCase,
  largestDifference,
  randomProbs,
  stream,
} from "./moe-cases.js";
import { rmsNormOps } from "../../src/runtime/layers/norm.js";
import { fusedRmsNorm, hasFusedRmsNorm } from "../../src/runtime/ops/fused-norm.js";

// WebGPU compute dispatches, counted around each norm's forward and backward.
let dispatches = 0;
const pass = (
  globalThis as unknown as { GPUComputePassEncoder?: { prototype: Record<string, unknown> } }
).GPUComputePassEncoder?.prototype;
if (pass !== undefined) {
  const original = pass["dispatchWorkgroups"] as (...a: unknown[]) => unknown;
  pass["dispatchWorkgroups"] = function (this: unknown, ...a: unknown[]) {
    dispatches++;
    return original.apply(this, a);
  };
}

/** RMSNorm of a [shape] input on webgpu, fused and op by op: y, dx, dweight and dispatches. */
async function normCase(shape: number[], seed: number) {
  const r = stream(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const d = shape.at(-1)!;
  const x = tf.tensor(
    Float32Array.from({ length: size }, () => 4 * r() - 2),
    shape,
  );
  const w = tf.tensor1d(Float32Array.from({ length: d }, () => 1 + r() - 0.5));
  const dy = tf.tensor(
    Float32Array.from({ length: size }, () => r() - 0.5),
    shape,
  );
  const one = async (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => {
    await tf.ready();
    const start = dispatches;
    const y = f(x, w);
    const forward = dispatches - start;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b));
    const before = dispatches;
    const [dx, dw] = g([x, w], dy);
    const total = dispatches - before; // the forward again and the backward
    const out = {
      y: Array.from(await y.data()),
      dx: Array.from(await dx!.data()),
      dw: Array.from(await dw!.data()),
      forward,
      backward: total - forward,
    };
    tf.dispose([y, dx!, dw!]);
    return out;
  };
  const fused = await one((a, b) => fusedRmsNorm(a, b, 1e-5));
  const ops = await one((a, b) => rmsNormOps(a, b, 1e-5));
  const hasFused = hasFusedRmsNorm(x, w);
  tf.dispose([x, w, dy]);
  let worst = 0;
  for (const k of ["y", "dx", "dw"] as const)
    fused[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ops[k][i]!))));
  return {
    shape,
    hasFused,
    worst,
    fused: { forward: fused.forward, backward: fused.backward },
    ops: { forward: ops.forward, backward: ops.backward },
  };
}

async function use(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

interface Args {
  readonly routingSeeds: number[];
  readonly layerSeeds: number[];
  readonly normShapes: number[][];
}

async function run({ routingSeeds, layerSeeds, normShapes }: Args) {
  await use("webgpu");
  const norms = [];
  for (const [i, shape] of normShapes.entries()) norms.push(await normCase(shape, i + 1));
  const routing = [];
  for (const seed of routingSeeds) {
    const s = caseShape(seed);
    const probs = randomProbs(seed, s);
    await use("cpu");
    const host = hostDispatch(probs, s);
    await use("webgpu");
    const dev = await deviceDispatch(probs, s);
    routing.push({ seed, shape: s, host, dev });
  }
  const layers = [];
  for (const seed of layerSeeds) {
    await use("cpu");
    const host = await layerCase(seed, "host");
    await use("webgpu");
    const dev = await layerCase(seed, "device");
    layers.push({
      seed,
      difference: largestDifference(host, dev),
      hostDropped: host.dropped,
      devDropped: dev.dropped,
    });
  }
  return { backend: tf.getBackend(), routing, layers, norms };
}

(globalThis as unknown as { __mmcRun: typeof run }).__mmcRun = run;
