// Attention's core, softmax(scale * rope(q) rope(k)^T + causal mask) v, as one kernel forward and
// three backward, joined by a custom gradient. q [b, t, heads, hd] and k, v [b, s, kvHeads, hd]
// are the projections reshaped (no transposes: the kernels index the heads), each key/value head
// serves heads / kvHeads query heads (grouped queries, no tiling), and rotary positions are
// applied inside from one table [t, hd] (cos in the first half of each row, sin in the second:
// layers/positions.ts `ropeTablePacked`). The forward keeps each query row's log-sum-exp, as FlashAttention does, so the
// backward recomputes the probabilities instead of storing [t, s] of them: a pass per query row
// for the log-sum-exp and sum(dO * O) (`stats`), a pass per query row for dq and a pass per key row
// for dk and dv. Op by op the same work is about 22 dispatches a layer (split heads, rotary, the
// keys' transpose, two products, softmax, merge heads, and their gradients); fused it is 4.
// On wasm and cpu the kernels are JS loops over the backend's memory (host-memory.ts), the
// reference the WGSL of webgpu-attention.ts is tested against; whether they run is
// fused-switch.ts's.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory, type HostArray } from "./host-memory.js";
import {
  attentionDims,
  registerWebgpuAttention,
  webgpuAttentionReady,
} from "./webgpu-attention.js";

export const ATTENTION_KERNEL = "MmcAttention";
export const ATTENTION_STATS_KERNEL = "MmcAttentionStats";
export const ATTENTION_GRAD_Q_KERNEL = "MmcAttentionGradQ";
export const ATTENTION_GRAD_KV_KERNEL = "MmcAttentionGradKV";

/** The kernels' attributes: the scale on the scores, the mask, whether a rope table is input. */
export interface AttentionAttrs {
  scale: number;
  causal: boolean;
  rope: boolean;
}

/** The first query row (of t) that sees key j (of s): query i sees j iff j <= i + s - t. */
const firstQuery = (j: number, t: number, s: number, causal: boolean): number =>
  causal ? Math.max(0, j - s + t) : 0;
/** The number of keys query i sees. */
const keysSeen = (i: number, t: number, s: number, causal: boolean): number =>
  causal ? Math.max(0, Math.min(s, i + s - t + 1)) : s;

/** Rotates row x[at .. at + hd) by position `pos` into out (rotate-half), or copies it. */
function rotate(
  x: HostArray,
  at: number,
  hd: number,
  table: HostArray | undefined,
  pos: number,
  out: Float64Array,
): void {
  if (table === undefined) {
    for (let c = 0; c < hd; c++) out[c] = x[at + c] as number;
    return;
  }
  const half = hd / 2;
  for (let c = 0; c < half; c++) {
    const cos = table[pos * hd + c] as number;
    const sin = table[pos * hd + half + c] as number;
    const x1 = x[at + c] as number;
    const x2 = x[at + half + c] as number;
    out[c] = x1 * cos - x2 * sin;
    out[half + c] = x1 * sin + x2 * cos;
  }
}

/** The inverse rotation of g (a gradient in rotated space) into out at `at`. */
function unrotate(
  g: Float64Array,
  hd: number,
  table: HostArray | undefined,
  pos: number,
  out: HostArray,
  at: number,
): void {
  if (table === undefined) {
    for (let c = 0; c < hd; c++) out[at + c] = g[c] as number;
    return;
  }
  const half = hd / 2;
  for (let c = 0; c < half; c++) {
    const cos = table[pos * hd + c] as number;
    const sin = table[pos * hd + half + c] as number;
    const g1 = g[c] as number;
    const g2 = g[half + c] as number;
    out[at + c] = g1 * cos + g2 * sin;
    out[at + half + c] = -g1 * sin + g2 * cos;
  }
}

const dot = (a: Float64Array, b: Float64Array, n: number): number => {
  let sum = 0;
  for (let c = 0; c < n; c++) sum += (a[c] as number) * (b[c] as number);
  return sum;
};

function names(rope: boolean, rest: string[]): string[] {
  return rope ? ["q", "k", "v", "table", ...rest] : ["q", "k", "v", ...rest];
}

/** Inputs q, k, v (table); outputs o [b, t, heads, hd] and the log-sum-exp lse [b, heads, t]. */
function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as AttentionAttrs;
    const mem = hostMemory(backendName, backend);
    const ins = float32Inputs(ATTENTION_KERNEL, inputs, names(a.rope, []));
    const { b, t, s, heads, kvHeads, hd } = attentionDims(ins[0]!, ins[1]!);
    const oo = mem.alloc([b, t, heads, hd]);
    const lo = mem.alloc([b, heads, t]);
    const [q, k, v, table] = ins.map((x) => mem.view(x)) as [
      HostArray,
      HostArray,
      HostArray,
      HostArray?,
    ];
    const [o, lse] = [oo, lo].map((x) => mem.view(x)) as [HostArray, HostArray];
    const group = heads / kvHeads;
    const qr = new Float64Array(hd);
    const kr = new Float64Array(hd);
    const acc = new Float64Array(hd);
    for (let bi = 0; bi < b; bi++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < t; i++) {
          rotate(q, ((bi * t + i) * heads + h) * hd, hd, table, i, qr);
          const n = keysSeen(i, t, s, a.causal);
          let m = -Infinity;
          let l = 0;
          acc.fill(0);
          for (let j = 0; j < n; j++) {
            const kAt = ((bi * s + j) * kvHeads + Math.floor(h / group)) * hd;
            rotate(k, kAt, hd, table, j, kr);
            const score = a.scale * dot(qr, kr, hd);
            const mNew = Math.max(m, score);
            const correction = Math.exp(m - mNew);
            const p = Math.exp(score - mNew);
            l = l * correction + p;
            for (let c = 0; c < hd; c++)
              acc[c] = (acc[c] as number) * correction + p * (v[kAt + c] as number);
            m = mNew;
          }
          const oAt = ((bi * t + i) * heads + h) * hd;
          for (let c = 0; c < hd; c++) o[oAt + c] = n === 0 ? 0 : (acc[c] as number) / l;
          lse[(bi * heads + h) * t + i] = n === 0 ? 0 : m + Math.log(l);
        }
    return [oo, lo];
  };
}

/** Inputs dO, o, lse; output stats [b, heads, t, 2]: each query row's lse and sum(dO * o). */
function statsKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const ins = float32Inputs(ATTENTION_STATS_KERNEL, inputs, ["dy", "o", "lse"]);
    const [b, t, heads, hd] = ins[1]!.shape as [number, number, number, number];
    const so = mem.alloc([b, heads, t, 2]);
    const [dy, o, lse] = ins.map((x) => mem.view(x)) as [HostArray, HostArray, HostArray];
    const stats = mem.view(so);
    for (let bi = 0; bi < b; bi++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < t; i++) {
          const at = ((bi * t + i) * heads + h) * hd;
          let d = 0;
          for (let c = 0; c < hd; c++) d += (dy[at + c] as number) * (o[at + c] as number);
          const r = (bi * heads + h) * t + i;
          stats[2 * r] = lse[r] as number;
          stats[2 * r + 1] = d;
        }
    return so;
  };
}

/** Inputs q, k, v, (table,) stats, dO; output dq [b, t, heads, hd]. */
function gradQKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as AttentionAttrs;
    const mem = hostMemory(backendName, backend);
    const ins = float32Inputs(ATTENTION_GRAD_Q_KERNEL, inputs, names(a.rope, ["stats", "dy"]));
    const { b, t, s, heads, kvHeads, hd } = attentionDims(ins[0]!, ins[1]!);
    const dqo = mem.alloc([b, t, heads, hd]);
    const views = ins.map((x) => mem.view(x));
    const [q, k, v] = views as [HostArray, HostArray, HostArray];
    const table = a.rope ? views[3] : undefined;
    const [stats, dy] = views.slice(a.rope ? 4 : 3) as [HostArray, HostArray];
    const dq = mem.view(dqo);
    const group = heads / kvHeads;
    const qr = new Float64Array(hd);
    const kr = new Float64Array(hd);
    const g = new Float64Array(hd);
    for (let bi = 0; bi < b; bi++)
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < t; i++) {
          const qAt = ((bi * t + i) * heads + h) * hd;
          rotate(q, qAt, hd, table, i, qr);
          const r = (bi * heads + h) * t + i;
          const lse = stats[2 * r] as number;
          const delta = stats[2 * r + 1] as number;
          g.fill(0);
          for (let j = 0; j < keysSeen(i, t, s, a.causal); j++) {
            const kAt = ((bi * s + j) * kvHeads + Math.floor(h / group)) * hd;
            rotate(k, kAt, hd, table, j, kr);
            const p = Math.exp(a.scale * dot(qr, kr, hd) - lse);
            let dp = 0;
            for (let c = 0; c < hd; c++) dp += (dy[qAt + c] as number) * (v[kAt + c] as number);
            const ds = p * (dp - delta) * a.scale;
            for (let c = 0; c < hd; c++) g[c] = (g[c] as number) + ds * (kr[c] as number);
          }
          unrotate(g, hd, table, i, dq, qAt);
        }
    return dqo;
  };
}

/** Inputs q, k, v, (table,) stats, dO; outputs dk and dv [b, s, kvHeads, hd]. */
function gradKvKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const a = attrs as unknown as AttentionAttrs;
    const mem = hostMemory(backendName, backend);
    const ins = float32Inputs(ATTENTION_GRAD_KV_KERNEL, inputs, names(a.rope, ["stats", "dy"]));
    const { b, t, s, heads, kvHeads, hd } = attentionDims(ins[0]!, ins[1]!);
    const dko = mem.alloc([b, s, kvHeads, hd]);
    const dvo = mem.alloc([b, s, kvHeads, hd]);
    const views = ins.map((x) => mem.view(x));
    const [q, k, v] = views as [HostArray, HostArray, HostArray];
    const table = a.rope ? views[3] : undefined;
    const [stats, dy] = views.slice(a.rope ? 4 : 3) as [HostArray, HostArray];
    const [dk, dv] = [dko, dvo].map((x) => mem.view(x)) as [HostArray, HostArray];
    const group = heads / kvHeads;
    const qr = new Float64Array(hd);
    const kr = new Float64Array(hd);
    const gk = new Float64Array(hd);
    const gv = new Float64Array(hd);
    for (let bi = 0; bi < b; bi++)
      for (let kh = 0; kh < kvHeads; kh++)
        for (let j = 0; j < s; j++) {
          const kAt = ((bi * s + j) * kvHeads + kh) * hd;
          rotate(k, kAt, hd, table, j, kr);
          gk.fill(0);
          gv.fill(0);
          for (let h = kh * group; h < (kh + 1) * group; h++)
            for (let i = firstQuery(j, t, s, a.causal); i < t; i++) {
              const qAt = ((bi * t + i) * heads + h) * hd;
              rotate(q, qAt, hd, table, i, qr);
              const r = (bi * heads + h) * t + i;
              const p = Math.exp(a.scale * dot(qr, kr, hd) - (stats[2 * r] as number));
              let dp = 0;
              for (let c = 0; c < hd; c++) {
                const d = dy[qAt + c] as number;
                dp += d * (v[kAt + c] as number);
                gv[c] = (gv[c] as number) + p * d;
              }
              const ds = p * (dp - (stats[2 * r + 1] as number)) * a.scale;
              for (let c = 0; c < hd; c++) gk[c] = (gk[c] as number) + ds * (qr[c] as number);
            }
          unrotate(gk, hd, table, j, dk, kAt);
          for (let c = 0; c < hd; c++) dv[kAt + c] = gv[c] as number;
        }
    return [dko, dvo];
  };
}

for (const backendName of ["wasm", "cpu"]) {
  for (const [kernelName, make] of [
    [ATTENTION_KERNEL, forwardKernel],
    [ATTENTION_STATS_KERNEL, statsKernel],
    [ATTENTION_GRAD_Q_KERNEL, gradQKernel],
    [ATTENTION_GRAD_KV_KERNEL, gradKvKernel],
  ] as const)
    if (tf.getKernel(kernelName, backendName) === undefined)
      tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
}

registerWebgpuAttention({
  forward: ATTENTION_KERNEL,
  stats: ATTENTION_STATS_KERNEL,
  gradQ: ATTENTION_GRAD_Q_KERNEL,
  gradKv: ATTENTION_GRAD_KV_KERNEL,
});

/**
 * Whether attention over q [b, t, heads, hd] and k [b, s, kvHeads, hd] runs fused here: the
 * switch on, float32, whole groups of heads, an even head dim with rotary positions (one position
 * per query and key: t = s).
 */
export function hasFusedAttention(q: tf.Tensor, k: tf.Tensor, rope: boolean): boolean {
  if (!fusedOn("attention", ATTENTION_KERNEL)) return false;
  if (tf.getBackend() === "webgpu" && !webgpuAttentionReady(tf.backend())) return false;
  if (q.dtype !== "float32" || k.dtype !== "float32" || q.rank !== 4 || k.rank !== 4) return false;
  const { t, s, heads, kvHeads, hd } = attentionDims(q, k);
  if (kvHeads === 0 || heads % kvHeads !== 0) return false;
  return !rope || (t === s && hd % 2 === 0);
}

/**
 * softmax(scale * rope(q) rope(k)^T + causal mask) v for q [b, t, heads, hd], k and v
 * [b, s, kvHeads, hd] and the table of `ropeTablePacked` (or none): [b, t, heads, hd]. Gradients for
 * q, k and v; the table is a constant.
 */
export function fusedAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  table: tf.Tensor2D | undefined,
  scale: number,
  causal: boolean,
): tf.Tensor {
  const attrs = { scale, causal, rope: table !== undefined } as unknown as tf.NamedAttrMap;
  return customGrad(([qi, ki, vi], save) => {
    const [o, lse] = tf
      .engine()
      .runKernel(
        ATTENTION_KERNEL,
        table === undefined ? { q: qi!, k: ki!, v: vi! } : { q: qi!, k: ki!, v: vi!, table },
        attrs,
      ) as tf.Tensor[];
    // The table is saved too: the forward's tensors are gone by the time the backward runs.
    save(table === undefined ? [qi!, ki!, vi!, o!, lse!] : [qi!, ki!, vi!, o!, lse!, table]);
    lse!.dispose();
    return {
      value: o!,
      gradFunc: (dy, [sq, sk, sv, so, slse, st]) => {
        const stats = tf
          .engine()
          .runKernel(ATTENTION_STATS_KERNEL, { dy, o: so!, lse: slse! }) as tf.Tensor;
        const rest: tf.NamedTensorMap =
          st === undefined
            ? { q: sq!, k: sk!, v: sv!, stats, dy }
            : { q: sq!, k: sk!, v: sv!, table: st, stats, dy };
        const dq = tf.engine().runKernel(ATTENTION_GRAD_Q_KERNEL, rest, attrs) as tf.Tensor;
        const [dk, dv] = tf
          .engine()
          .runKernel(ATTENTION_GRAD_KV_KERNEL, rest, attrs) as tf.Tensor[];
        stats.dispose();
        return [dq, dk!, dv!];
      },
    };
  })(q, k, v);
}
