// The language model: token embedding, learned or rotary positions, pre-norm blocks (attention,
// then a dense MLP or an MoE FFN), final norm and a tied or untied head. Activations run as
// 2-D [b * t, width] between blocks so every dense layer is one fast 2-D product.
import * as tf from "@tensorflow/tfjs-core";
import { getBool, getConfig, getInt, getMlp, getOptInt } from "../../components/fields.js";
import { moeLayers } from "../../components/moe.js";
import type { Config, MlpValue } from "../../components/types.js";
import { matmul2d } from "../ops/matmul.js";
import { gatherRows } from "../ops/rows.js";
import { sumAll } from "../ops/sum-all.js";
import type { ParamScope } from "../params.js";
import { attention, causalMask, type QkNorm } from "./attention.js";
import { mlp } from "./mlp.js";
import { moe, type MoeOptions } from "./moe.js";
import { applyNorm } from "./norm.js";
import { learnedPositions, ropeTables } from "./positions.js";

export interface DecoderMoe extends MoeOptions {
  readonly layers: ReadonlySet<number>;
  readonly balanceLoss: number;
  readonly zLoss: number;
}

export interface DecoderOptions {
  readonly vocab: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly mlp: MlpValue;
  readonly position: "learned" | "rope" | "none";
  readonly ropeBase: number;
  readonly context: number;
  readonly tied: boolean;
  readonly finalNorm: boolean;
  readonly qkNorm: QkNorm;
  readonly moe?: DecoderMoe;
}

/** Reads a resolved `Decoder` config (components/decoder.ts) into typed options. */
export function decoderOptions(c: Config): DecoderOptions {
  const m = getConfig(c, "moe");
  const str = (name: string): string => c[name] as string;
  const base: DecoderOptions = {
    vocab: getInt(c, "vocab"),
    width: getInt(c, "width"),
    depth: getInt(c, "depth"),
    heads: getInt(c, "heads"),
    kvHeads: getOptInt(c, "kv_heads") ?? getInt(c, "heads"),
    headDim: getOptInt(c, "head_dim") ?? getInt(c, "width") / getInt(c, "heads"),
    mlp: getMlp(c, "mlp"),
    position: str("position") as DecoderOptions["position"],
    ropeBase: typeof c["rope_base"] === "number" ? c["rope_base"] : 10000,
    context: getInt(c, "context"),
    tied: getBool(c, "tied"),
    finalNorm: getBool(c, "final_norm"),
    qkNorm: str("qk_norm") as QkNorm,
  };
  if (m === undefined) return base;
  return {
    ...base,
    moe: {
      experts: getInt(m, "experts"),
      topK: getInt(m, "top_k"),
      capacity: m["capacity"] as number,
      shared: getInt(m, "shared"),
      sharedGate: getBool(m, "shared_gate"),
      fn: getMlp(c, "mlp").fn,
      layers: new Set(moeLayers(getInt(c, "depth"), getInt(m, "every"))),
      balanceLoss: m["balance_loss"] as number,
      zLoss: m["z_loss"] as number,
    },
  };
}

/** What MoE layers report during one forward pass. */
export interface MoeStats {
  balance: tf.Scalar[];
  z: tf.Scalar[];
  load: number[][];
  dropped: number[];
}

export function emptyMoeStats(): MoeStats {
  return { balance: [], z: [], load: [], dropped: [] };
}

/** tokens int32 [b, t] -> embeddings [b * t, width] (no positions yet). */
export function embedTokens(p: ParamScope, tokens: tf.Tensor2D): tf.Tensor2D {
  return gatherRows(p.get("embed.weight") as tf.Tensor2D, tf.reshape(tokens, [-1]) as tf.Tensor1D);
}

/**
 * Embeddings [b * t, width] (text and image tokens already in place) -> logits [b * t, vocab].
 * MoE layers append their balance/z losses and loads to `stats`.
 */
export function decoderForward(
  p: ParamScope,
  o: DecoderOptions,
  embeddings: tf.Tensor2D,
  b: number,
  t: number,
  stats: MoeStats = emptyMoeStats(),
): tf.Tensor2D {
  let h: tf.Tensor2D = embeddings; // [b*t, width]
  if (o.position === "learned") {
    const pos = learnedPositions(p.get("pos_embed"), t); // [t, width]
    h = tf.reshape(tf.add(tf.reshape(h, [b, t, o.width]), pos), [b * t, o.width]);
  }
  const rope = o.position === "rope" ? ropeTables(t, o.headDim, o.ropeBase) : undefined;
  const attn = {
    heads: o.heads,
    kvHeads: o.kvHeads,
    headDim: o.headDim,
    causal: true,
    mask: causalMask(t, t),
    qkNorm: o.qkNorm,
    ...(rope === undefined ? {} : { rope }),
  };
  for (let i = 0; i < o.depth; i++) {
    const layer = p.scope(`layers.${i}`);
    const a = applyNorm(layer.scope("attn_norm"), h);
    const x3 = tf.reshape(a, [b, t, o.width]) as tf.Tensor3D;
    h = tf.add(h, tf.reshape(attention(layer.scope("attn"), attn, x3), [b * t, o.width]));
    const m = applyNorm(layer.scope("mlp_norm"), h) as tf.Tensor2D;
    if (o.moe !== undefined && o.moe.layers.has(i)) {
      const r = moe(layer.scope("moe"), o.moe, m);
      stats.balance.push(r.balance);
      stats.z.push(r.z);
      stats.load.push(r.load);
      stats.dropped.push(r.dropped);
      h = tf.add(h, r.y);
    } else {
      h = tf.add(h, mlp(layer.scope("mlp"), o.mlp.fn, m));
    }
  }
  if (o.finalNorm) h = applyNorm(p.scope("final_norm"), h) as tf.Tensor2D;
  const head = o.tied
    ? (tf.transpose(p.get("embed.weight")) as tf.Tensor2D)
    : (p.get("head.weight") as tf.Tensor2D);
  return matmul2d(h, head);
}

/** The MoE part of the loss: weighted means over MoE layers (zero without MoE). */
export function moeAuxLoss(o: DecoderOptions, stats: MoeStats): tf.Scalar {
  if (o.moe === undefined || stats.balance.length === 0) return tf.scalar(0);
  const n = stats.balance.length;
  const balance = tf.mul(sumAll(stats.balance), o.moe.balanceLoss / n);
  const z = tf.mul(sumAll(stats.z), o.moe.zLoss / n);
  return tf.add(balance, z) as tf.Scalar;
}
