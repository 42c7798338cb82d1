// Masked mean cross-entropy as two fused kernels joined by a custom gradient: the forward (each
// row's log-sum-exp, kept for the gradient, and the mean over the masked-in rows of lse - the
// target's logit) and the backward ((softmax - onehot) * mask * dy / max(count, 1)). Op by op this
// is about 12 dispatches forward and 20 backward, and a one-hot [n, vocab]; fused it is 1 and 1
// on wasm and cpu (JS loops over the backend's memory), 2 and 2 on webgpu (webgpu-loss.ts).
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { hostMemory, type HostArray } from "./host-memory.js";
import { registerWebgpuCrossEntropy } from "./webgpu-loss.js";

export const CROSS_ENTROPY_KERNEL = "MmcCrossEntropy";
export const CROSS_ENTROPY_GRAD_KERNEL = "MmcCrossEntropyGrad";

function input(kernel: string, inputs: tf.NamedTensorInfoMap, key: string, dtype: tf.DataType) {
  const t = inputs[key];
  if (t === undefined) throw new Error(`${kernel}: input \`${key}\` is missing`);
  if (t.dtype !== dtype) throw new Error(`${kernel}: input \`${key}\` is ${t.dtype}`);
  return t;
}

/** The target's logit of row i, or 0 for a target outside the vocabulary (as a zero one-hot). */
const picked = (l: HostArray, o: number, target: number, vocab: number): number =>
  target >= 0 && target < vocab ? (l[o + target] as number) : 0;

/** Inputs logits [n, vocab], targets int32 [n], mask [n]; outputs the mean loss [] and lse [n]. */
function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const li = input(CROSS_ENTROPY_KERNEL, inputs, "logits", "float32");
    const ti = input(CROSS_ENTROPY_KERNEL, inputs, "targets", "int32");
    const mi = input(CROSS_ENTROPY_KERNEL, inputs, "mask", "float32");
    const [n, vocab] = li.shape as [number, number];
    const lo = mem.alloc([]);
    const lseo = mem.alloc([n]);
    const [l, t, m, loss, lse] = [li, ti, mi, lo, lseo].map((v) => mem.view(v));
    if (!l || !t || !m || !loss || !lse) return [lo, lseo];
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const o = i * vocab;
      let max = -Infinity;
      for (let j = 0; j < vocab; j++) max = Math.max(max, l[o + j] as number);
      let s = 0;
      for (let j = 0; j < vocab; j++) s += Math.exp((l[o + j] as number) - max);
      const v = max + Math.log(s);
      lse[i] = v;
      const mv = m[i] as number;
      sum += (v - picked(l, o, t[i] as number, vocab)) * mv;
      count += mv;
    }
    loss[0] = sum / Math.max(count, 1);
    return [lo, lseo];
  };
}

/** Inputs dy [], logits, targets, mask, lse; output dlogits [n, vocab]. */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const k = CROSS_ENTROPY_GRAD_KERNEL;
    const dyi = input(k, inputs, "dy", "float32");
    const li = input(k, inputs, "logits", "float32");
    const ti = input(k, inputs, "targets", "int32");
    const mi = input(k, inputs, "mask", "float32");
    const lsei = input(k, inputs, "lse", "float32");
    const [n, vocab] = li.shape as [number, number];
    const go = mem.alloc(li.shape);
    const [dy, l, t, m, lse, g] = [dyi, li, ti, mi, lsei, go].map((v) => mem.view(v));
    if (!dy || !l || !t || !m || !lse || !g) return go;
    let count = 0;
    for (let i = 0; i < n; i++) count += m[i] as number;
    const scale = (dy[0] as number) / Math.max(count, 1);
    for (let i = 0; i < n; i++) {
      const o = i * vocab;
      const w = (m[i] as number) * scale;
      const v = lse[i] as number;
      // A masked-out row's gradient is exactly zero (the op-by-op form multiplies by 0 too).
      for (let j = 0; j < vocab; j++) g[o + j] = w * Math.exp((l[o + j] as number) - v);
      const target = t[i] as number;
      if (target >= 0 && target < vocab) g[o + target] = (g[o + target] as number) - w;
    }
    return go;
  };
}

for (const backendName of ["wasm", "cpu"]) {
  if (tf.getKernel(CROSS_ENTROPY_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: CROSS_ENTROPY_KERNEL,
      backendName,
      kernelFunc: forwardKernel(backendName),
    });
  if (tf.getKernel(CROSS_ENTROPY_GRAD_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: CROSS_ENTROPY_GRAD_KERNEL,
      backendName,
      kernelFunc: backwardKernel(backendName),
    });
}

registerWebgpuCrossEntropy({ forward: CROSS_ENTROPY_KERNEL, backward: CROSS_ENTROPY_GRAD_KERNEL });

/** Whether the masked cross-entropy runs fused here (the switch on, float32 logits [n, vocab]). */
export function hasFusedCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor) {
  const n = logits.shape[0];
  return (
    fusedOn("crossEntropy", CROSS_ENTROPY_KERNEL) &&
    logits.dtype === "float32" &&
    logits.rank === 2 &&
    targets.rank === 1 &&
    mask.rank === 1 &&
    targets.shape[0] === n &&
    mask.shape[0] === n
  );
}

/**
 * The mean over rows whose mask is not 0 of lse(logits) - logits[target] (each weighted by its
 * mask), in one dispatch forward and one backward; only the logits get a gradient.
 */
export function fusedCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  mask: tf.Tensor1D,
): tf.Scalar {
  const t = targets.dtype === "int32" ? targets : tf.cast(targets, "int32");
  const m = mask.dtype === "float32" ? mask : tf.cast(mask, "float32");
  // Only the logits take a gradient; targets and mask are saved (kept past the forward's scope).
  return customGrad(([l], save) => {
    const [loss, lse] = tf.engine().runKernel(CROSS_ENTROPY_KERNEL, {
      logits: l as tf.Tensor,
      targets: t,
      mask: m,
    }) as [tf.Tensor, tf.Tensor];
    save([l as tf.Tensor, t, m, lse]);
    return {
      value: loss,
      gradFunc: (dy, [sl, st, sm, slse]) =>
        tf.engine().runKernel(CROSS_ENTROPY_GRAD_KERNEL, {
          dy,
          logits: sl as tf.Tensor,
          targets: st as tf.Tensor,
          mask: sm as tf.Tensor,
          lse: slse as tf.Tensor,
        }) as tf.Tensor,
    };
  })(logits) as tf.Scalar;
}
