// RMSNorm over the last axis as two fused kernels: the forward (y and each row's 1 / rms, kept
// for the gradient) and the backward (dx and the weight's gradient), joined by a custom gradient.
// The op-by-op form is about 6 dispatches forward and 12 to 17 backward; on the synchronous
// backends (wasm, cpu) this is one each, on webgpu 2 and 3 (WGSL, ops/webgpu-norm.ts).
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuRmsNorm } from "./webgpu-norm.js";

export const RMS_NORM_KERNEL = "MmcRmsNorm";
export const RMS_NORM_GRAD_KERNEL = "MmcRmsNormGrad";

/** Inputs x [..., d], weight [d]; outputs y = x * r * weight and r = 1 / sqrt(mean(x^2) + eps) per row. */
function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const eps = (attrs as { eps: number }).eps;
    const mem = hostMemory(backendName, backend);
    const [xi, wi] = float32Inputs(RMS_NORM_KERNEL, inputs, ["x", "weight"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const d = xi.shape[xi.shape.length - 1] as number;
    const yo = mem.alloc(xi.shape);
    const ro = mem.alloc(xi.shape.slice(0, -1));
    const [x, w, y, r] = [xi, wi, yo, ro].map((t) => mem.view(t));
    if (x === undefined || w === undefined || y === undefined || r === undefined) return [yo, ro];
    const rows = d === 0 ? 0 : x.length / d;
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      let ss = 0;
      for (let j = 0; j < d; j++) ss += (x[o + j] as number) * (x[o + j] as number);
      const ri = 1 / Math.sqrt(ss / d + eps);
      r[i] = ri;
      for (let j = 0; j < d; j++) y[o + j] = (x[o + j] as number) * ri * (w[j] as number);
    }
    return [yo, ro];
  };
}

/**
 * Inputs dy, x, weight, r; outputs dx and dweight. With n = x * r: dweight = sum over rows of
 * dy * n; dx = r * (g - n * mean(g * n)) where g = dy * weight.
 */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [dyi, xi, wi, ri] = float32Inputs(RMS_NORM_GRAD_KERNEL, inputs, [
      "dy",
      "x",
      "weight",
      "r",
    ]) as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
    const d = xi.shape[xi.shape.length - 1] as number;
    const dxo = mem.alloc(xi.shape);
    const dwo = mem.alloc(wi.shape);
    const [dy, x, w, r, dx, dw] = [dyi, xi, wi, ri, dxo, dwo].map((t) => mem.view(t));
    if (!dy || !x || !w || !r || !dx || !dw) return [dxo, dwo];
    const rows = d === 0 ? 0 : x.length / d;
    const acc = new Float64Array(d);
    for (let i = 0; i < rows; i++) {
      const o = i * d;
      const ri = r[i] as number;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        const n = (x[o + j] as number) * ri;
        const dyj = dy[o + j] as number;
        acc[j] = (acc[j] as number) + dyj * n;
        dot += dyj * (w[j] as number) * n;
      }
      const mean = dot / d;
      for (let j = 0; j < d; j++) {
        const n = (x[o + j] as number) * ri;
        dx[o + j] = ri * ((dy[o + j] as number) * (w[j] as number) - n * mean);
      }
    }
    dw.set(acc);
    return [dxo, dwo];
  };
}

for (const backendName of ["wasm", "cpu"]) {
  if (tf.getKernel(RMS_NORM_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: RMS_NORM_KERNEL,
      backendName,
      kernelFunc: forwardKernel(backendName),
    });
  if (tf.getKernel(RMS_NORM_GRAD_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: RMS_NORM_GRAD_KERNEL,
      backendName,
      kernelFunc: backwardKernel(backendName),
    });
}

registerWebgpuRmsNorm({ forward: RMS_NORM_KERNEL, backward: RMS_NORM_GRAD_KERNEL });

/** Whether the fused RMSNorm runs here (its switch on, float32 `x` with a [d] weight). */
export function hasFusedRmsNorm(x: tf.Tensor, weight: tf.Tensor): boolean {
  return (
    fusedOn("rmsNorm", RMS_NORM_KERNEL) &&
    x.dtype === "float32" &&
    weight.dtype === "float32" &&
    x.rank >= 1 &&
    weight.rank === 1 &&
    weight.shape[0] === x.shape[x.rank - 1]
  );
}

const fusedRms = new Map<number, (x: tf.Tensor, weight: tf.Tensor) => tf.Tensor>();

/** RMSNorm of `x` over its last axis times `weight`, in one dispatch forward and one backward. */
export function fusedRmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  let f = fusedRms.get(eps);
  if (f === undefined) {
    const g = customGrad(([xi, wi], save) => {
      const [y, r] = tf.engine().runKernel(
        RMS_NORM_KERNEL,
        { x: xi as tf.Tensor, weight: wi as tf.Tensor },
        {
          eps,
        },
      ) as [tf.Tensor, tf.Tensor];
      save([xi as tf.Tensor, wi as tf.Tensor, r]);
      return {
        value: y,
        gradFunc: (dy, [xs, ws, rs]) =>
          tf.engine().runKernel(RMS_NORM_GRAD_KERNEL, {
            dy,
            x: xs as tf.Tensor,
            weight: ws as tf.Tensor,
            r: rs as tf.Tensor,
          }) as tf.Tensor[],
      };
    });
    f = (x, w) => g(x, w);
    fusedRms.set(eps, f);
  }
  return f(x, weight);
}
