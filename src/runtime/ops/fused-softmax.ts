// Attention's scaled masked softmax, y = softmax(scale * x + causal mask) over the last axis of
// x [..., t, s] (query i sees key j iff j <= i + s - t; `causal` false: every key), as two fused
// kernels joined by a custom gradient: the forward and the backward
// dx = scale * y * (dy - sum(dy * y)). Op by op (the query scaling, the mask's add, softmax and
// their gradients) this is about 10 dispatches; fused it is 1 and 1. On wasm and cpu the kernels
// are JS loops over the backend's memory (host-memory.ts), on webgpu WGSL (webgpu-softmax.ts).
// Whether they run is fused-switch.ts's.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuSoftmax } from "./webgpu-softmax.js";

export const MASKED_SOFTMAX_KERNEL = "MmcMaskedSoftmax";
export const MASKED_SOFTMAX_GRAD_KERNEL = "MmcMaskedSoftmaxGrad";

interface Attrs {
  scale: number;
  causal: boolean;
}

/** The number of keys query i (of t) sees among s: all, or i + s - t + 1 clamped to [0, s]. */
export const visibleKeys = (i: number, t: number, s: number, causal: boolean): number =>
  causal ? Math.max(0, Math.min(s, i + s - t + 1)) : s;

/** Input x [..., t, s]; output y, zero past each row's visible keys (all zero where none is). */
function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { scale, causal } = attrs as unknown as Attrs;
    const mem = hostMemory(backendName, backend);
    const [xi] = float32Inputs(MASKED_SOFTMAX_KERNEL, inputs, ["x"]) as [tf.TensorInfo];
    const s = xi.shape[xi.shape.length - 1] as number;
    const t = xi.shape[xi.shape.length - 2] as number;
    const yo = mem.alloc(xi.shape);
    const [x, y] = [xi, yo].map((v) => mem.view(v));
    if (!x || !y) return yo;
    const rows = s === 0 ? 0 : x.length / s;
    for (let r = 0; r < rows; r++) {
      const o = r * s;
      const n = visibleKeys(r % t, t, s, causal);
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, scale * (x[o + j] as number));
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(scale * (x[o + j] as number) - max);
        y[o + j] = e;
        sum += e;
      }
      for (let j = 0; j < n; j++) y[o + j] = (y[o + j] as number) / sum;
      for (let j = n; j < s; j++) y[o + j] = 0;
    }
    return yo;
  };
}

/** Inputs dy, y; output dx = scale * y * (dy - sum(dy * y)) by row. */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { scale } = attrs as unknown as Attrs;
    const mem = hostMemory(backendName, backend);
    const [dyi, yi] = float32Inputs(MASKED_SOFTMAX_GRAD_KERNEL, inputs, ["dy", "y"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const s = yi.shape[yi.shape.length - 1] as number;
    const dxo = mem.alloc(yi.shape);
    const [dy, y, dx] = [dyi, yi, dxo].map((v) => mem.view(v));
    if (!dy || !y || !dx) return dxo;
    const rows = s === 0 ? 0 : y.length / s;
    for (let r = 0; r < rows; r++) {
      const o = r * s;
      let dot = 0;
      for (let j = 0; j < s; j++) dot += (dy[o + j] as number) * (y[o + j] as number);
      for (let j = 0; j < s; j++)
        dx[o + j] = scale * (y[o + j] as number) * ((dy[o + j] as number) - dot);
    }
    return dxo;
  };
}

for (const backendName of ["wasm", "cpu"]) {
  for (const [kernelName, make] of [
    [MASKED_SOFTMAX_KERNEL, forwardKernel],
    [MASKED_SOFTMAX_GRAD_KERNEL, backwardKernel],
  ] as const)
    if (tf.getKernel(kernelName, backendName) === undefined)
      tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
}

registerWebgpuSoftmax({ forward: MASKED_SOFTMAX_KERNEL, backward: MASKED_SOFTMAX_GRAD_KERNEL });

/** Whether the scaled masked softmax of x runs fused here (the switch on, float32, rank >= 2). */
export function hasFusedMaskedSoftmax(x: tf.Tensor): boolean {
  return fusedOn("maskedSoftmax", MASKED_SOFTMAX_KERNEL) && x.dtype === "float32" && x.rank >= 2;
}

/** softmax(scale * x + causal mask) over x's last axis, one dispatch forward and one backward. */
export function fusedMaskedSoftmax(x: tf.Tensor, scale: number, causal: boolean): tf.Tensor {
  const attrs = { scale, causal };
  return customGrad(([xi], save) => {
    const y = tf
      .engine()
      .runKernel(
        MASKED_SOFTMAX_KERNEL,
        { x: xi as tf.Tensor },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy, [sy]) =>
        tf
          .engine()
          .runKernel(
            MASKED_SOFTMAX_GRAD_KERNEL,
            { dy, y: sy as tf.Tensor },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor,
    };
  })(x);
}
