// The vision encoder: patch embedding (a [patch, patch, channels, width] filter applied as one 2-D
// product over flattened patches), optional class token, learned positions, optional pre-norm,
// pre-norm transformer blocks, optional final norm. Output: patch tokens, class token dropped.
import * as tf from "@tensorflow/tfjs-core";
import type { VitConfig } from "../../components/vit.js";
import { BLOCK, PARAM, VIT } from "../../components/weight-names.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { attention, type AttentionOptions } from "./attention.js";
import { mlp } from "./mlp.js";
import { applyNorm } from "./norm.js";

export type { VitConfig };

/** images [n, channels, h, w] -> patches [n * gh * gw, patch * patch * channels] (row, col, channel). */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor2D {
  const [n, c, h, w] = images.shape;
  const gh = h / patch;
  const gw = w / patch;
  const nhwc = tf.transpose(images, [0, 2, 3, 1]);
  const split = tf.reshape(nhwc, [n, gh, patch, gw, patch, c]);
  const ordered = tf.transpose(split, [0, 1, 3, 2, 4, 5]); // [n, gh, gw, py, px, c]
  return tf.reshape(ordered, [n * gh * gw, patch * patch * c]);
}

/** images [n, channels, h, w] -> patch tokens [n, gh * gw, width]. */
export function vitForward(p: ParamScope, o: VitConfig, images: tf.Tensor4D): tf.Tensor3D {
  const n = images.shape[0];
  const patches = o.grid[0] * o.grid[1];
  const embed = p.scope(VIT.patchEmbed);
  const filter = tf.reshape(embed.get(PARAM.weight), [-1, o.width]);
  const bias = o.patchBias ? embed.get(PARAM.bias) : undefined;
  let x: tf.Tensor = tf.reshape(linear(patchify(images, o.patch), filter, bias), [
    n,
    patches,
    o.width,
  ]);
  if (o.classToken) {
    const cls = tf.tile(tf.reshape(p.get(VIT.classToken), [1, 1, o.width]), [n, 1, 1]);
    x = tf.concat([cls, x], 1);
  }
  const seq = x.shape[1] as number;
  x = tf.add(x, p.get(VIT.posEmbed));
  let h: tf.Tensor = tf.reshape(x, [n * seq, o.width]);
  if (o.preNorm) h = applyNorm(p.scope(VIT.preNorm), o.norm, o.normEps, h);
  const attn: AttentionOptions = { ...o.attention, normEps: o.normEps, causal: false };
  for (let i = 0; i < o.depth; i++) {
    const layer = p.scope(BLOCK.layer(i));
    const normed = applyNorm(layer.scope(BLOCK.attnNorm), o.norm, o.normEps, h);
    const a = tf.reshape(normed, [n, seq, o.width]) as tf.Tensor3D;
    h = tf.add(h, tf.reshape(attention(layer.scope(BLOCK.attn), attn, a), [n * seq, o.width]));
    const m = applyNorm(layer.scope(BLOCK.mlpNorm), o.norm, o.normEps, h);
    h = tf.add(h, mlp(layer.scope(BLOCK.mlp), o.mlp.fn, m, o.bias));
  }
  if (o.finalNorm) h = applyNorm(p.scope(VIT.finalNorm), o.norm, o.normEps, h);
  const out = tf.reshape(h, [n, seq, o.width]);
  return (o.classToken ? tf.slice(out, [0, 1, 0], [-1, -1, -1]) : out) as tf.Tensor3D;
}
