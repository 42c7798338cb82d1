// The vision encoder: patch embedding (a [patch, patch, channels, width] filter applied as one 2-D
// product over flattened patches), optional class token, learned positions, optional pre-norm,
// pre-norm transformer blocks, optional final norm. Output: patch tokens, class token dropped.
import * as tf from "@tensorflow/tfjs-core";
import { getBool, getInt, getMlp } from "../../components/fields.js";
import type { Config, MlpValue } from "../../components/types.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { attention } from "./attention.js";
import { mlp } from "./mlp.js";
import { applyNorm } from "./norm.js";

export interface VitOptions {
  readonly channels: number;
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlp: MlpValue;
  readonly classToken: boolean;
  readonly preNorm: boolean;
  readonly finalNorm: boolean;
  readonly grid: readonly [number, number];
}

/** Reads a resolved `ViT` config (components/vit.ts). */
export function vitOptions(c: Config): VitOptions {
  const patch = getInt(c, "patch");
  return {
    channels: getInt(c, "channels"),
    patch,
    width: getInt(c, "width"),
    depth: getInt(c, "depth"),
    heads: getInt(c, "heads"),
    mlp: getMlp(c, "mlp"),
    classToken: getBool(c, "class_token"),
    preNorm: getBool(c, "pre_norm"),
    finalNorm: getBool(c, "final_norm"),
    grid: [getInt(c, "image_height") / patch, getInt(c, "image_width") / patch],
  };
}

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
export function vitForward(p: ParamScope, o: VitOptions, images: tf.Tensor4D): tf.Tensor3D {
  const n = images.shape[0];
  const patches = o.grid[0] * o.grid[1];
  const filter = tf.reshape(p.get("patch_embed.weight"), [-1, o.width]);
  const bias = p.has("patch_embed.bias") ? p.get("patch_embed.bias") : undefined;
  let x: tf.Tensor = tf.reshape(linear(patchify(images, o.patch), filter, bias), [
    n,
    patches,
    o.width,
  ]);
  if (o.classToken) {
    const cls = tf.tile(tf.reshape(p.get("class_token"), [1, 1, o.width]), [n, 1, 1]);
    x = tf.concat([cls, x], 1);
  }
  const seq = x.shape[1] as number;
  x = tf.add(x, p.get("pos_embed"));
  let h: tf.Tensor = tf.reshape(x, [n * seq, o.width]);
  if (o.preNorm) h = applyNorm(p.scope("pre_norm"), h);
  const attn = {
    heads: o.heads,
    kvHeads: o.heads,
    headDim: o.width / o.heads,
    causal: false,
    qkNorm: "none" as const,
  };
  for (let i = 0; i < o.depth; i++) {
    const layer = p.scope(`layers.${i}`);
    const a = tf.reshape(applyNorm(layer.scope("attn_norm"), h), [n, seq, o.width]) as tf.Tensor3D;
    h = tf.add(h, tf.reshape(attention(layer.scope("attn"), attn, a), [n * seq, o.width]));
    h = tf.add(h, mlp(layer.scope("mlp"), o.mlp.fn, applyNorm(layer.scope("mlp_norm"), h)));
  }
  if (o.finalNorm) h = applyNorm(p.scope("final_norm"), h);
  const out = tf.reshape(h, [n, seq, o.width]);
  return (o.classToken ? tf.slice(out, [0, 1, 0], [-1, -1, -1]) : out) as tf.Tensor3D;
}
