// The decoder's incremental forward pass for generation: the same blocks as decoderForward, run
// on the new positions only, with each layer's keys and values (after norms and rotary positions)
// kept in a cache, so a new token costs one position instead of the whole prefix. Several prompts
// of different lengths run as one batch left-padded (`pads`): each row's positions start at its
// first real token, and its padding is masked out of every attention, so a row's logits are those
// it has alone.
import * as tf from "@tensorflow/tfjs-core";
import { bmm, matmul2d } from "../ops/matmul.js";
import { ATTENTION, BLOCK, DECODER, PARAM, dot } from "../../components/weight-names.js";
import type { ParamScope } from "../params.js";
import { causalMask, repeatKv, splitHeads, type AttentionOptions } from "./attention.js";
import type { DecoderConfig } from "./decoder.js";
import { dense, mlp } from "./mlp.js";
import { moe, withoutCapacity } from "./moe.js";
import { applyNorm } from "./norm.js";
import { applyRope, ropeTables } from "./positions.js";

/** One layer's keys and values so far: [b, kvHeads, length, headDim] each. */
export interface LayerKv {
  readonly k: tf.Tensor4D;
  readonly v: tf.Tensor4D;
}

/** Every layer's cache; `length` positions are in it. */
export interface KvCache {
  readonly length: number;
  readonly layers: readonly LayerKv[];
}

export function disposeCache(cache: KvCache | undefined): void {
  for (const l of cache?.layers ?? []) {
    l.k.dispose();
    l.v.dispose();
  }
}

/**
 * Self-attention of x [b, t, width] (the new positions past..past+t-1) over the cached keys and
 * values plus its own. Returns the output [b, t, width] and the layer's grown cache.
 */
export function attentionCached(
  p: ParamScope,
  o: AttentionOptions,
  x: tf.Tensor3D,
  past: LayerKv | undefined,
  rope: readonly [tf.Tensor, tf.Tensor] | undefined,
  mask?: tf.Tensor4D,
): { y: tf.Tensor3D; kv: LayerKv } {
  const [b, t, width] = x.shape;
  const x2 = tf.reshape(x, [b * t, width]);
  let q = dense(p, ATTENTION.q, x2, o.qkvBias);
  let k = dense(p, ATTENTION.k, x2, o.qkvBias);
  const v = dense(p, ATTENTION.v, x2, o.qkvBias);
  if (o.qkNorm === "full") {
    q = applyNorm(p.scope(ATTENTION.qNorm), o.normKind, o.normEps, q);
    k = applyNorm(p.scope(ATTENTION.kNorm), o.normKind, o.normEps, k);
  }
  let qh = splitHeads(q, b, t, o.heads, o.headDim);
  let kh = splitHeads(k, b, t, o.kvHeads, o.headDim);
  if (o.qkNorm === "head") {
    qh = applyNorm(p.scope(ATTENTION.qNorm), o.normKind, o.normEps, qh);
    kh = applyNorm(p.scope(ATTENTION.kNorm), o.normKind, o.normEps, kh);
  }
  if (rope !== undefined) {
    qh = applyRope(qh, rope[0] as tf.Tensor2D, rope[1] as tf.Tensor2D);
    kh = applyRope(kh, rope[0] as tf.Tensor2D, rope[1] as tf.Tensor2D);
  }
  const vh = splitHeads(v, b, t, o.kvHeads, o.headDim);
  const kAll = (past ? tf.concat([past.k, kh], 2) : kh) as tf.Tensor4D;
  const vAll = (past ? tf.concat([past.v, vh], 2) : vh) as tf.Tensor4D;
  const s = kAll.shape[2];
  const bh = b * o.heads;
  const q3 = tf.reshape(tf.mul(qh, 1 / Math.sqrt(o.headDim)), [bh, t, o.headDim]) as tf.Tensor3D;
  const kT = tf.transpose(tf.reshape(repeatKv(kAll, o.heads), [bh, s, o.headDim]), [0, 2, 1]);
  const v3 = tf.reshape(repeatKv(vAll, o.heads), [bh, s, o.headDim]) as tf.Tensor3D;
  let scores: tf.Tensor = bmm(q3, kT as tf.Tensor3D); // [b*heads, t, s]
  if (mask !== undefined) {
    // left-padded rows: the mask [b, 1, t, s] hides each row's padding and the future
    scores = tf.reshape(tf.add(tf.reshape(scores, [b, o.heads, t, s]), mask), [bh, t, s]);
  } else if (t > 1) scores = tf.add(scores, causalMask(t, s));
  // (a single new position of an unpadded batch sees every cached one: no mask is needed)
  const ctx = bmm(tf.softmax(scores) as tf.Tensor3D, v3);
  const merged = tf.reshape(
    tf.transpose(tf.reshape(ctx, [b, o.heads, t, o.headDim]), [0, 2, 1, 3]),
    [b * t, o.heads * o.headDim],
  );
  return {
    y: tf.reshape(dense(p, ATTENTION.o, merged, o.outBias), [b, t, -1]) as tf.Tensor3D,
    kv: { k: kAll, v: vAll },
  };
}

/**
 * The mask [b, 1, t, s] of left-padded rows: query i of row r (cache index past + i) sees key j
 * when pads[r] <= j <= past + i.
 */
export function paddedMask(pads: readonly number[], past: number, t: number): tf.Tensor4D {
  const s = past + t;
  const m = new Float32Array(pads.length * t * s);
  pads.forEach((pad, r) => {
    for (let i = 0; i < t; i++)
      for (let j = 0; j < s; j++) if (j < pad || j > past + i) m[(r * t + i) * s + j] = -1e9;
  });
  return tf.tensor4d(m, [pads.length, 1, t, s]);
}

/**
 * Embeddings [b * t, width] of the positions after `cache` (text and image tokens in place) ->
 * logits [b * t, vocab] and the grown cache. With no cache this is decoderForward's result for
 * the same rows. MoE layers route without a capacity limit (no token is dropped at inference), so
 * the routing of a token does not depend on how the sequence is split into calls, nor on the other
 * rows. `pads[r]`: row r is left-padded by that many positions (cache indices 0..pads[r]-1 hold
 * padding); its positions count from its first real token, and the padding is masked.
 */
export function decoderForwardCached(
  p: ParamScope,
  o: DecoderConfig,
  embeddings: tf.Tensor2D,
  b: number,
  t: number,
  cache: KvCache | undefined,
  pads?: readonly number[],
): CachedOutput {
  const past = cache?.length ?? 0;
  const total = past + t;
  const least = pads === undefined || pads.length === 0 ? 0 : Math.min(...pads);
  if (total - least > o.context)
    throw new RangeError(
      `${total - least} positions are past the language model's context of ${o.context}`,
    );
  // each row's position of each new index (a padded index gets position 0; it is masked)
  const positions =
    pads === undefined
      ? undefined
      : tf.tensor1d(
          pads.flatMap((pad) => Array.from({ length: t }, (_, i) => Math.max(0, past + i - pad))),
          "int32",
        );
  let h: tf.Tensor2D = embeddings;
  if (o.position === "learned") {
    const table = p.get(DECODER.posEmbed);
    if (positions !== undefined) h = tf.add(h, tf.gather(table, positions)) as tf.Tensor2D;
    else {
      const pos = tf.slice(table, [past, 0], [t, -1]);
      h = tf.reshape(tf.add(tf.reshape(h, [b, t, o.width]), pos), [b * t, o.width]);
    }
  }
  let rope: [tf.Tensor, tf.Tensor] | undefined;
  if (o.position === "rope") {
    const half = o.headDim / 2;
    if (positions !== undefined) {
      const [cos, sin] = ropeTables(total - least, o.headDim, o.ropeBase);
      const rows = (x: tf.Tensor2D) => tf.reshape(tf.gather(x, positions), [b, 1, t, half]);
      rope = [rows(cos), rows(sin)];
    } else {
      const [cos, sin] = ropeTables(total, o.headDim, o.ropeBase);
      rope = [tf.slice(cos, [past, 0], [t, half]), tf.slice(sin, [past, 0], [t, half])];
    }
  }
  const mask = pads === undefined ? undefined : paddedMask(pads, past, t);
  const attn: AttentionOptions = { ...o.attention, normEps: o.normEps, causal: true };
  const moeOptions = o.moe === undefined ? undefined : withoutCapacity(o.moe);
  const layers: LayerKv[] = [];
  for (let i = 0; i < o.depth; i++) {
    const layer = p.scope(BLOCK.layer(i));
    const a = applyNorm(layer.scope(BLOCK.attnNorm), o.norm, o.normEps, h);
    const x3 = tf.reshape(a, [b, t, o.width]) as tf.Tensor3D;
    const r = attentionCached(layer.scope(BLOCK.attn), attn, x3, cache?.layers[i], rope, mask);
    layers.push(r.kv);
    h = tf.add(h, tf.reshape(r.y, [b * t, o.width]));
    const m = applyNorm(layer.scope(BLOCK.mlpNorm), o.norm, o.normEps, h) as tf.Tensor2D;
    if (moeOptions !== undefined && o.moeLayers.has(i))
      h = tf.add(h, moe(layer.scope(BLOCK.moe), moeOptions, m).y);
    else h = tf.add(h, mlp(layer.scope(BLOCK.mlp), o.mlp.fn, m, o.mlpBias));
  }
  if (o.finalNorm) h = applyNorm(p.scope(DECODER.finalNorm), o.norm, o.normEps, h) as tf.Tensor2D;
  const head = o.tied
    ? (tf.transpose(p.get(dot(DECODER.embed, PARAM.weight))) as tf.Tensor2D)
    : (p.get(dot(DECODER.head, PARAM.weight)) as tf.Tensor2D);
  return { logits: matmul2d(h, head), cache: { length: total, layers } };
}

export interface CachedOutput {
  readonly logits: tf.Tensor2D;
  readonly cache: KvCache;
}

/** The cache of the rows `keep` (in that order), the others dropped; `cache` is left as it is. */
export function selectRows(cache: KvCache, keep: readonly number[]): KvCache {
  const idx = tf.tensor1d(Array.from(keep), "int32");
  const layers = cache.layers.map((l) => ({
    k: tf.gather(l.k, idx, 0) as tf.Tensor4D,
    v: tf.gather(l.v, idx, 0) as tf.Tensor4D,
  }));
  idx.dispose();
  return { length: cache.length, layers };
}

/** Runs `step` in a tidy scope that keeps only its logits and cache (tf.tidy cannot type them). */
export function tidyStep(step: () => CachedOutput): CachedOutput {
  let out: CachedOutput | undefined;
  tf.tidy(() => {
    out = step();
    tf.keep(out.logits);
    for (const l of out.cache.layers) {
      tf.keep(l.k);
      tf.keep(l.v);
    }
  });
  return out as CachedOutput;
}
