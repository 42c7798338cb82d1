// The language model: token embedding, learned or rotary positions, pre-norm blocks (attention,
// then a dense MLP or an MoE FFN), final norm and a tied or untied head. Activations run as
// 2-D [b * t, width] between blocks so every dense layer is one fast 2-D product.
import * as tf from "@tensorflow/tfjs-core";
import type { DecoderConfig } from "../../components/decoder.js";
import { BLOCK, DECODER, PARAM, dot } from "../../components/weight-names.js";
import { ATTENTION_KERNEL } from "../ops/fused-attention.js";
import { fusedOn } from "../ops/fused-switch.js";
import { matmul2d } from "../ops/matmul.js";
import { gatherRows } from "../ops/rows.js";
import { sumAll } from "../ops/sum-all.js";
import type { ParamScope } from "../params.js";
import { attention, causalMask, type AttentionOptions } from "./attention.js";
import { mlp } from "./mlp.js";
import { moe } from "./moe.js";
import { applyNorm } from "./norm.js";
import { learnedPositions, ropeTablePacked, ropeTables } from "./positions.js";

export type { DecoderConfig };

/** What MoE layers report during one forward pass. */
export interface MoeStats {
  balance: tf.Scalar[];
  z: tf.Scalar[];
  load: number[][];
  dropped: number[];
  /** Per MoE layer routed on the device, its load and dropped share as a tensor (MoeOutput). */
  pending: (tf.Tensor1D | undefined)[];
}

export function emptyMoeStats(): MoeStats {
  return { balance: [], z: [], load: [], dropped: [], pending: [] };
}

/** tokens int32 [b, t] -> embeddings [b * t, width] (no positions yet). */
export function embedTokens(p: ParamScope, tokens: tf.Tensor2D): tf.Tensor2D {
  const table = p.get(dot(DECODER.embed, PARAM.weight)) as tf.Tensor2D;
  return gatherRows(table, tf.reshape(tokens, [-1]) as tf.Tensor1D);
}

/**
 * Embeddings [b * t, width] (text and image tokens already in place) -> logits [b * t, vocab].
 * MoE layers append their balance/z losses and loads to `stats`.
 */
export function decoderForward(
  p: ParamScope,
  o: DecoderConfig,
  embeddings: tf.Tensor2D,
  b: number,
  t: number,
  stats: MoeStats = emptyMoeStats(),
): tf.Tensor2D {
  let h: tf.Tensor2D = embeddings; // [b*t, width]
  if (o.position === "learned") {
    const pos = learnedPositions(p.get(DECODER.posEmbed), t); // [t, width]
    h = tf.reshape(tf.add(tf.reshape(h, [b, t, o.width]), pos), [b * t, o.width]);
  }
  const rope = o.position === "rope" ? ropeTables(t, o.headDim, o.ropeBase) : undefined;
  const attn: AttentionOptions = {
    ...o.attention,
    normEps: o.normEps,
    causal: true,
    mask: causalMask(t, t),
    ...(rope === undefined ? {} : { rope }),
    ...(rope !== undefined && fusedOn("attention", ATTENTION_KERNEL)
      ? { ropePacked: ropeTablePacked(t, o.headDim, o.ropeBase) }
      : {}),
  };
  for (let i = 0; i < o.depth; i++) {
    const layer = p.scope(BLOCK.layer(i));
    const a = applyNorm(layer.scope(BLOCK.attnNorm), o.norm, o.normEps, h);
    const x3 = tf.reshape(a, [b, t, o.width]) as tf.Tensor3D;
    h = tf.add(h, tf.reshape(attention(layer.scope(BLOCK.attn), attn, x3), [b * t, o.width]));
    const m = applyNorm(layer.scope(BLOCK.mlpNorm), o.norm, o.normEps, h) as tf.Tensor2D;
    if (o.moe !== undefined && o.moeLayers.has(i)) {
      const r = moe(layer.scope(BLOCK.moe), o.moe, m);
      stats.balance.push(r.balance);
      stats.z.push(r.z);
      stats.load.push(r.load);
      stats.dropped.push(r.dropped);
      stats.pending.push(r.pendingStats);
      h = tf.add(h, r.y);
    } else {
      h = tf.add(h, mlp(layer.scope(BLOCK.mlp), o.mlp.fn, m, o.mlpBias));
    }
  }
  if (o.finalNorm) h = applyNorm(p.scope(DECODER.finalNorm), o.norm, o.normEps, h) as tf.Tensor2D;
  const head = o.tied
    ? (tf.transpose(p.get(dot(DECODER.embed, PARAM.weight))) as tf.Tensor2D)
    : (p.get(dot(DECODER.head, PARAM.weight)) as tf.Tensor2D);
  return matmul2d(h, head);
}

/** The MoE part of the loss: weighted means over MoE layers (zero without MoE). */
export function moeAuxLoss(o: DecoderConfig, stats: MoeStats): tf.Scalar {
  if (o.moe === undefined || stats.balance.length === 0) return tf.scalar(0);
  const n = stats.balance.length;
  const balance = tf.mul(sumAll(stats.balance), o.moe.balanceLoss / n);
  const z = tf.mul(sumAll(stats.z), o.moe.zLoss / n);
  return tf.add(balance, z) as tf.Scalar;
}
