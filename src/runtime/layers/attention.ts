// Multi-head attention with grouped-query heads, an optional causal mask, optional query/key
// norms (over the full projection or per head, shared by all heads) and optional rotary positions.
// Self-attention when `kv` is omitted; cross-attention (AttnPool) otherwise.
import * as tf from "@tensorflow/tfjs-core";
import type { AttentionShape, QkNorm } from "../../components/blocks.js";
import { ATTENTION } from "../../components/weight-names.js";
import { fusedAttention, hasFusedAttention } from "../ops/fused-attention.js";
import { fusedMaskedSoftmax, hasFusedMaskedSoftmax } from "../ops/fused-softmax.js";
import { bmm } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { dense } from "./mlp.js";
import { applyNorm } from "./norm.js";
import { applyRope } from "./positions.js";

export type { QkNorm };

/** The attention's shape as the component config gives it (the manifest's too), and how it runs. */
export interface AttentionOptions extends AttentionShape {
  readonly causal: boolean;
  /** The eps of the query/key norms: the kind's `norm_eps` (counts do not depend on it). */
  readonly normEps: number;
  /** cos/sin tables [t, headDim / 2] (see positions.ts); absent: no rotary positions. */
  readonly rope?: readonly [tf.Tensor2D, tf.Tensor2D];
  /** A precomputed causal mask [t, s] (causalMask), shared by the layers of one forward pass. */
  readonly mask?: tf.Tensor2D;
  /**
   * `rope` as one table [t, headDim] (positions.ts ropeTablePacked) for the fused attention;
   * with `rope` and without it, the attention runs op by op.
   */
  readonly ropePacked?: tf.Tensor2D;
}

/** Additive mask [t, s]: 0 where query i may see key j (j <= i + s - t), a large negative elsewhere. */
export function causalMask(t: number, s: number): tf.Tensor2D {
  const m = new Float32Array(t * s);
  for (let i = 0; i < t; i++) for (let j = i + s - t + 1; j < s; j++) m[i * s + j] = -1e9;
  return tf.tensor2d(m, [t, s]);
}

/** [b * n, heads * hd] -> [b * heads, n, hd]. */
export function splitHeads(
  x: tf.Tensor,
  b: number,
  n: number,
  heads: number,
  hd: number,
): tf.Tensor {
  return tf.transpose(tf.reshape(x, [b, n, heads, hd]), [0, 2, 1, 3]);
}

/** [b, kvHeads, s, hd] -> [b, heads, s, hd]: each key/value head serves heads / kvHeads queries. */
export function repeatKv(x: tf.Tensor, heads: number): tf.Tensor {
  const [b, kvHeads, s, hd] = x.shape as [number, number, number, number];
  if (kvHeads === heads) return x;
  // A rank-4 tile: WebGPU's tile kernel has no GPU program for rank 5 (it would read back to the CPU).
  const tiled = tf.tile(tf.reshape(x, [b * kvHeads, 1, s, hd]), [1, heads / kvHeads, 1, 1]);
  return tf.reshape(tiled, [b, heads, s, hd]);
}

/**
 * softmax(q k^T / sqrt(hd) + causal mask) [bh, t, s] of the queries qh (reshaped to [bh, t, hd])
 * and the keys kT [bh, hd, s]: one fused kernel each way where it runs (ops/fused-softmax.ts,
 * the scale folded in), else the scaled queries, the mask's add and softmax op by op.
 */
export function attentionProbs(
  qh: tf.Tensor,
  kT: tf.Tensor3D,
  o: Pick<AttentionOptions, "headDim" | "causal" | "mask">,
  bh: number,
  t: number,
  s: number,
): tf.Tensor3D {
  const scale = 1 / Math.sqrt(o.headDim);
  if (hasFusedMaskedSoftmax(qh)) {
    const q = tf.reshape(qh, [bh, t, o.headDim]) as tf.Tensor3D;
    return fusedMaskedSoftmax(bmm(q, kT), scale, o.causal) as tf.Tensor3D;
  }
  const q3 = tf.reshape(tf.mul(qh, scale), [bh, t, o.headDim]) as tf.Tensor3D;
  let scores: tf.Tensor = bmm(q3, kT); // [b*heads, t, s]
  if (o.causal) scores = tf.add(scores, o.mask ?? causalMask(t, s));
  return tf.softmax(scores) as tf.Tensor3D;
}

/**
 * x [b, t, width] (queries) and kv [b, s, kvWidth] (keys/values, default x) -> [b, t, width].
 * Weights under `p`: q, k, v, o (`.weight` [in, out], `.bias` as `o` says), q_norm/k_norm.
 */
export function attention(
  p: ParamScope,
  o: AttentionOptions,
  x: tf.Tensor3D,
  kv: tf.Tensor3D = x,
): tf.Tensor3D {
  const [b, t, width] = x.shape;
  const s = kv.shape[1];
  const x2 = tf.reshape(x, [b * t, width]);
  const kv2 = kv === x ? x2 : tf.reshape(kv, [b * s, kv.shape[2]]);
  let q = dense(p, ATTENTION.q, x2, o.qkvBias); // [b*t, heads*hd]
  let k = dense(p, ATTENTION.k, kv2, o.qkvBias); // [b*s, kvHeads*hd]
  const v = dense(p, ATTENTION.v, kv2, o.qkvBias);
  if (o.qkNorm === "full") {
    q = applyNorm(p.scope(ATTENTION.qNorm), o.normKind, o.normEps, q);
    k = applyNorm(p.scope(ATTENTION.kNorm), o.normKind, o.normEps, k);
  }
  const fused = fusedCore(p, o, q, k, v, b, t, s);
  if (fused !== undefined)
    return tf.reshape(dense(p, ATTENTION.o, fused, o.outBias), [b, t, -1]) as tf.Tensor3D;
  let qh = splitHeads(q, b, t, o.heads, o.headDim); // [b, heads, t, hd]
  let kh = splitHeads(k, b, s, o.kvHeads, o.headDim); // [b, kvHeads, s, hd]
  if (o.qkNorm === "head") {
    qh = applyNorm(p.scope(ATTENTION.qNorm), o.normKind, o.normEps, qh);
    kh = applyNorm(p.scope(ATTENTION.kNorm), o.normKind, o.normEps, kh);
  }
  if (o.rope !== undefined) {
    qh = applyRope(qh, o.rope[0], o.rope[1]);
    kh = applyRope(kh, o.rope[0], o.rope[1]);
  }
  const vh = splitHeads(v, b, s, o.kvHeads, o.headDim);
  const bh = b * o.heads;
  const kT = tf.transpose(tf.reshape(repeatKv(kh, o.heads), [bh, s, o.headDim]), [0, 2, 1]);
  const v3 = tf.reshape(repeatKv(vh, o.heads), [bh, s, o.headDim]) as tf.Tensor3D;
  const probs = attentionProbs(qh, kT as tf.Tensor3D, o, bh, t, s);
  const ctx = bmm(probs, v3); // [b*heads, t, hd]
  const merged = tf.reshape(
    tf.transpose(tf.reshape(ctx, [b, o.heads, t, o.headDim]), [0, 2, 1, 3]),
    [b * t, o.heads * o.headDim],
  );
  return tf.reshape(dense(p, ATTENTION.o, merged, o.outBias), [b, t, -1]) as tf.Tensor3D;
}

/**
 * The attention core as one fused kernel each way (ops/fused-attention.ts) where it runs: the
 * projections q [b*t, heads*hd], k and v [b*s, kvHeads*hd] (after any full q/k norm) reshaped to
 * [b, n, heads, hd] with no transposes, per-head norms over the last axis as before, rotary
 * positions inside. The context [b*t, heads*hd], or undefined where it does not run.
 */
function fusedCore(
  p: ParamScope,
  o: AttentionOptions,
  q2: tf.Tensor,
  k2: tf.Tensor,
  v2: tf.Tensor,
  b: number,
  t: number,
  s: number,
): tf.Tensor | undefined {
  const rope = o.rope !== undefined;
  if (rope && o.ropePacked === undefined) return undefined;
  let q = tf.reshape(q2, [b, t, o.heads, o.headDim]);
  let k = tf.reshape(k2, [b, s, o.kvHeads, o.headDim]);
  if (!hasFusedAttention(q, k, rope)) {
    tf.dispose([q, k]);
    return undefined;
  }
  if (o.qkNorm === "head") {
    // A norm over the head dim, the same on [b, n, heads, hd] as on [b, heads, n, hd].
    q = applyNorm(p.scope(ATTENTION.qNorm), o.normKind, o.normEps, q);
    k = applyNorm(p.scope(ATTENTION.kNorm), o.normKind, o.normEps, k);
  }
  const v = tf.reshape(v2, [b, s, o.kvHeads, o.headDim]);
  const ctx = fusedAttention(
    q,
    k,
    v,
    rope ? o.ropePacked : undefined,
    1 / Math.sqrt(o.headDim),
    o.causal,
  );
  return tf.reshape(ctx, [b * t, o.heads * o.headDim]);
}
