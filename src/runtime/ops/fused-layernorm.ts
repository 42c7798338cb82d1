// LayerNorm over the last axis as two fused kernels joined by a custom gradient: the forward
// (y = (x - mean) * rstd * weight + bias, and each row's mean and rstd = 1 / sqrt(var + eps),
// kept for the gradient) and the backward (dx, dweight, dbias). Op by op it is about 7
// dispatches forward and 12 to 15 backward; on wasm and cpu this is one each (JS loops over the
// backend's memory, host-memory.ts), on webgpu 1 and 2 (WGSL through raw dispatches,
// webgpu-layernorm.ts). Whether it runs is fused-switch.ts's.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuLayerNorm, webgpuLayerNormReady } from "./webgpu-layernorm.js";

export const LAYER_NORM_KERNEL = "MmcLayerNorm";
export const LAYER_NORM_GRAD_KERNEL = "MmcLayerNormGrad";

/** Inputs x [..., d], weight [d], bias [d]; outputs y and stats [rows, 2] (mean, rstd). */
function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const eps = (attrs as { eps: number }).eps;
    const mem = hostMemory(backendName, backend);
    const [xi, wi, bi] = float32Inputs(LAYER_NORM_KERNEL, inputs, ["x", "weight", "bias"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const d = xi.shape[xi.shape.length - 1] as number;
    const rows = d === 0 ? 0 : xi.shape.reduce((a, b) => a * b, 1) / d;
    const yo = mem.alloc(xi.shape);
    const so = mem.alloc([rows, 2]);
    const [x, w, b, y, st] = [xi, wi, bi, yo, so].map((t) => mem.view(t));
    if (!x || !w || !b || !y || !st) return [yo, so];
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      let sum = 0;
      for (let j = 0; j < d; j++) sum += x[o + j] as number;
      const mean = sum / d;
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const c = (x[o + j] as number) - mean;
        ss += c * c;
      }
      const rstd = 1 / Math.sqrt(ss / d + eps);
      st[2 * i] = mean;
      st[2 * i + 1] = rstd;
      for (let j = 0; j < d; j++)
        y[o + j] = ((x[o + j] as number) - mean) * rstd * (w[j] as number) + (b[j] as number);
    }
    return [yo, so];
  };
}

/**
 * Inputs dy, x, weight, stats; outputs dx, dweight, dbias. With n = (x - mean) * rstd and
 * g = dy * weight: dx = rstd * (g - mean(g) - n * mean(g * n)); dweight = sum over rows of
 * dy * n; dbias = sum over rows of dy.
 */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [dyi, xi, wi, si] = float32Inputs(LAYER_NORM_GRAD_KERNEL, inputs, [
      "dy",
      "x",
      "weight",
      "stats",
    ]) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
    const d = xi.shape[xi.shape.length - 1] as number;
    const dxo = mem.alloc(xi.shape);
    const dwo = mem.alloc(wi.shape);
    const dbo = mem.alloc(wi.shape);
    const [dy, x, w, st, dx, dw, db] = [dyi, xi, wi, si, dxo, dwo, dbo].map((t) => mem.view(t));
    if (!dy || !x || !w || !st || !dx || !dw || !db) return [dxo, dwo, dbo];
    const rows = d === 0 ? 0 : x.length / d;
    const accW = new Float64Array(d);
    const accB = new Float64Array(d);
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      const mean = st[2 * i] as number;
      const rstd = st[2 * i + 1] as number;
      let sg = 0;
      let sgn = 0;
      for (let j = 0; j < d; j++) {
        const n = ((x[o + j] as number) - mean) * rstd;
        const dyj = dy[o + j] as number;
        const g = dyj * (w[j] as number);
        accW[j] = (accW[j] as number) + dyj * n;
        accB[j] = (accB[j] as number) + dyj;
        sg += g;
        sgn += g * n;
      }
      const mg = sg / d;
      const mgn = sgn / d;
      for (let j = 0; j < d; j++) {
        const n = ((x[o + j] as number) - mean) * rstd;
        dx[o + j] = rstd * ((dy[o + j] as number) * (w[j] as number) - mg - n * mgn);
      }
    }
    dw.set(accW);
    db.set(accB);
    return [dxo, dwo, dbo];
  };
}

for (const backendName of ["wasm", "cpu"]) {
  for (const [kernelName, make] of [
    [LAYER_NORM_KERNEL, forwardKernel],
    [LAYER_NORM_GRAD_KERNEL, backwardKernel],
  ] as const)
    if (tf.getKernel(kernelName, backendName) === undefined)
      tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
}

registerWebgpuLayerNorm({ forward: LAYER_NORM_KERNEL, backward: LAYER_NORM_GRAD_KERNEL });

/** Whether LayerNorm of x with [d] weight and bias runs fused here (the switch on, float32). */
export function hasFusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): boolean {
  if (!fusedOn("layerNorm", LAYER_NORM_KERNEL)) return false;
  if (tf.getBackend() === "webgpu" && !webgpuLayerNormReady(tf.backend())) return false;
  const d = x.shape[x.rank - 1];
  return (
    [x, weight, bias].every((t) => t.dtype === "float32") &&
    x.rank >= 1 &&
    d !== undefined &&
    d > 0 &&
    x.size > 0 &&
    weight.rank === 1 &&
    bias.rank === 1 &&
    weight.shape[0] === d &&
    bias.shape[0] === d
  );
}

/** LayerNorm of x over its last axis with weight and bias: one kernel forward, one backward. */
export function fusedLayerNorm(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
): tf.Tensor {
  return customGrad(([xi, wi, bi], save) => {
    const [y, stats] = tf
      .engine()
      .runKernel(LAYER_NORM_KERNEL, { x: xi!, weight: wi!, bias: bi! }, { eps }) as [
      tf.Tensor,
      tf.Tensor,
    ];
    save([xi!, wi!, stats]);
    stats.dispose();
    return {
      value: y,
      gradFunc: (dy, [xs, ws, ss]) =>
        tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, {
          dy,
          x: xs!,
          weight: ws!,
          stats: ss!,
        }) as tf.Tensor[],
    };
  })(x, weight, bias);
}
