// Fused optimizer kernels, registered in tfjs's kernel registry: the global gradient norm over
// many tensors, and clipping plus AdamW over many tensors, the clip scale computed inside from
// the norm tensor (so no readback is needed before the update). On the synchronous backends
// (wasm, cpu) each is one dispatch, a JS loop over the backend's own memory; on webgpu they are
// WGSL programs (ops/webgpu-adamw.ts: a few dispatches for the norm, one per tensor).
import * as tf from "@tensorflow/tfjs-core";
import { float32Inputs, hostMemory, type HostArray } from "./host-memory.js";
import { registerWebgpuAdamW } from "./webgpu-adamw.js";

export const GLOBAL_NORM_KERNEL = "MmcGlobalNorm";
export const ADAMW_KERNEL = "MmcAdamW";
/** The backends with the JS-loop kernels (webgpu's are registered below). */
export const FUSED_BACKENDS = ["wasm", "cpu"] as const;

/** sqrt(sum of squares) of inputs g0..g(n-1), accumulated in double precision. */
function globalNormKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const n = (attrs as { n: number }).n;
    const mem = hostMemory(backendName, backend);
    const gs = float32Inputs(
      GLOBAL_NORM_KERNEL,
      inputs,
      Array.from({ length: n }, (_, i) => `g${i}`),
    );
    let sum = 0;
    for (const g of gs) {
      const x = mem.view(g);
      for (let j = 0; j < x.length; j++) {
        const e = x[j] as number;
        sum += e * e;
      }
    }
    const out = mem.alloc([]);
    mem.view(out)[0] = Math.sqrt(sum);
    return out;
  };
}

/** The update's scalars, as attributes of one dispatch. */
export interface AdamWAttrs {
  readonly n: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** 1 where tensor i takes weight decay, else 0. */
  readonly decay: readonly number[];
  readonly clip: number;
  /** Bias corrections 1 - beta^step. */
  readonly c1: number;
  readonly c2: number;
}

/**
 * Inputs `norm` (the global gradient norm, a scalar) and p_i, m_i, v_i, g_i; outputs p_i', m_i',
 * v_i' in that order. PyTorch's AdamW after clipping: g *= clip / (norm + 1e-6) when norm > clip;
 * p *= 1 - lr * wd (decayed tensors); m, v moments; p -= lr * (m / c1) / (sqrt(v / c2) + eps).
 * A norm that is not finite leaves every tensor as it was (the outputs are copies).
 */
/** One tensor's update (adamWKernel's loop). */
function adamWTensor(
  p: HostArray,
  m: HostArray,
  v: HostArray,
  g: HostArray,
  po: HostArray,
  mo: HostArray,
  vo: HostArray,
  scale: number,
  keep: number,
  b1: number,
  b2: number,
  lr: number,
  c1: number,
  c2: number,
  eps: number,
): void {
  for (let j = 0; j < p.length; j++) {
    const gj = (g[j] as number) * scale;
    const mj = b1 * (m[j] as number) + (1 - b1) * gj;
    const vj = b2 * (v[j] as number) + (1 - b2) * gj * gj;
    mo[j] = mj;
    vo[j] = vj;
    po[j] = (p[j] as number) * keep - (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
  }
}

function adamWKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as AdamWAttrs;
    const mem = hostMemory(backendName, backend);
    const [normT] = float32Inputs(ADAMW_KERNEL, inputs, ["norm"]);
    const ins: tf.TensorInfo[][] = [];
    for (let i = 0; i < a.n; i++)
      ins.push(float32Inputs(ADAMW_KERNEL, inputs, [`p${i}`, `m${i}`, `v${i}`, `g${i}`]));
    const outs = ins.map((group) => group.slice(0, 3).map((t) => mem.alloc(t.shape)));
    // Views only after every allocation: growing the wasm heap detaches older views.
    const norm = mem.view(normT as tf.TensorInfo)[0] as number;
    const skip = !Number.isFinite(norm);
    const scale = a.clip > 0 && norm > a.clip ? a.clip / (norm + 1e-6) : 1;
    const { beta1: b1, beta2: b2, eps, lr, c1, c2 } = a;
    for (let i = 0; i < a.n; i++) {
      const [p, m, v, g] = (ins[i] as tf.TensorInfo[]).map((t) => mem.view(t)) as HostArray[];
      const [po, mo, vo] = (outs[i] as tf.TensorInfo[]).map((t) => mem.view(t)) as HostArray[];
      if (p === undefined || m === undefined || v === undefined || g === undefined) continue;
      if (po === undefined || mo === undefined || vo === undefined) continue;
      if (skip) {
        po.set(p);
        mo.set(m);
        vo.set(v);
        continue;
      }
      const keep = a.decay[i] === 1 && a.weightDecay > 0 ? 1 - lr * a.weightDecay : 1;
      adamWTensor(p, m, v, g, po, mo, vo, scale, keep, b1, b2, lr, c1, c2, eps);
    }
    return outs.flat();
  };
}

for (const backendName of FUSED_BACKENDS) {
  if (tf.getKernel(GLOBAL_NORM_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: GLOBAL_NORM_KERNEL,
      backendName,
      kernelFunc: globalNormKernel(backendName),
    });
  if (tf.getKernel(ADAMW_KERNEL, backendName) === undefined)
    tf.registerKernel({
      kernelName: ADAMW_KERNEL,
      backendName,
      kernelFunc: adamWKernel(backendName),
    });
}

// webgpu: WGSL programs with the same inputs, outputs and semantics (ops/webgpu-adamw.ts).
registerWebgpuAdamW({ norm: GLOBAL_NORM_KERNEL, update: ADAMW_KERNEL });

/** Whether the backend in use has the fused kernels. */
export function hasFusedOptimizer(): boolean {
  return tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
}

/** The global L2 norm of `tensors` in one dispatch (float32 tensors). */
export function fusedGlobalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  const inputs: tf.NamedTensorMap = {};
  tensors.forEach((t, i) => (inputs[`g${i}`] = t));
  return tf.engine().runKernel(GLOBAL_NORM_KERNEL, inputs, { n: tensors.length }) as tf.Scalar;
}

export interface AdamWSlot {
  readonly p: tf.Tensor;
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
  readonly g: tf.Tensor;
}

/** One dispatch updating every slot; returns the new [p, m, v] per slot (see adamWKernel). */
export function fusedAdamW(
  slots: readonly AdamWSlot[],
  norm: tf.Scalar,
  attrs: Omit<AdamWAttrs, "n">,
): [tf.Tensor, tf.Tensor, tf.Tensor][] {
  const inputs: tf.NamedTensorMap = { norm };
  slots.forEach((s, i) => {
    inputs[`p${i}`] = s.p;
    inputs[`m${i}`] = s.m;
    inputs[`v${i}`] = s.v;
    inputs[`g${i}`] = s.g;
  });
  const kernelAttrs = { ...attrs, decay: [...attrs.decay], n: slots.length };
  const outs = tf
    .engine()
    .runKernel(ADAMW_KERNEL, inputs, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return slots.map(
    (_, i) => [outs[3 * i], outs[3 * i + 1], outs[3 * i + 2]] as [tf.Tensor, tf.Tensor, tf.Tensor],
  );
}
