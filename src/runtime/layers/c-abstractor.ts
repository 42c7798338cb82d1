// C-Abstractor (Honeybee, MM1's connector): learned grid positions, a stage of RegNet bottleneck
// blocks (1x1 conv, 3x3 depthwise conv, squeeze-excite, 1x1 conv, LayerNorm over channels, SiLU),
// adaptive average pooling to sqrt(tokens)^2, a second stage, then an MLP readout with SiLU.
// Convolutions run on NHWC grids; 1x1 convs are 2-D products, the depthwise conv nine shifted sums.
import * as tf from "@tensorflow/tfjs-core";
import { getBool, getInt } from "../../components/fields.js";
import type { Config } from "../../components/types.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { silu } from "./mlp.js";
import { applyNorm } from "./norm.js";
import { adaptiveAvgPool } from "./pooling.js";

export interface CAbstractorOptions {
  readonly tokens: number;
  readonly depth: number;
  readonly mlpDepth: number;
  readonly posEmbed: boolean;
  readonly grid: readonly [number, number];
}

export function cAbstractorOptions(c: Config): CAbstractorOptions {
  return {
    tokens: getInt(c, "tokens"),
    depth: getInt(c, "depth"),
    mlpDepth: getInt(c, "mlp_depth"),
    posEmbed: getBool(c, "pos_embed"),
    grid: [getInt(c, "grid_h"), getInt(c, "grid_w")],
  };
}

/** 1x1 conv: x [n, h, w, cin] with filter [1, 1, cin, cout] (+ bias). */
function conv1x1(x: tf.Tensor4D, filter: tf.Tensor, bias?: tf.Tensor): tf.Tensor4D {
  const [n, h, w, cin] = x.shape;
  const f = tf.reshape(filter, [cin, -1]);
  return tf.reshape(linear(tf.reshape(x, [n * h * w, cin]), f, bias), [n, h, w, -1]) as tf.Tensor4D;
}

/** 3x3 depthwise conv, stride 1, zero padding 1: filter [3, 3, c, 1]. */
function depthwise3x3(x: tf.Tensor4D, filter: tf.Tensor): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const taps = tf.reshape(filter, [9, c]);
  let sum: tf.Tensor | undefined;
  for (let dy = 0; dy < 3; dy++) {
    for (let dx = 0; dx < 3; dx++) {
      const tap = tf.reshape(tf.slice(taps, [dy * 3 + dx, 0], [1, c]), [c]);
      const term = tf.mul(tf.slice(padded, [0, dy, dx, 0], [n, h, w, c]), tap);
      sum = sum === undefined ? term : tf.add(sum, term);
    }
  }
  return sum as tf.Tensor4D;
}

function bottleneck(p: ParamScope, x: tf.Tensor4D): tf.Tensor4D {
  let y = silu(applyNorm(p.scope("norm1"), conv1x1(x, p.get("conv1.weight")))) as tf.Tensor4D;
  y = silu(applyNorm(p.scope("norm2"), depthwise3x3(y, p.get("conv2.weight")))) as tf.Tensor4D;
  const squeezed = tf.mean(y, [1, 2], true) as tf.Tensor4D; // [n, 1, 1, c]
  const excite = conv1x1(
    tf.relu(conv1x1(squeezed, p.get("se.fc1.weight"), p.get("se.fc1.bias"))),
    p.get("se.fc2.weight"),
    p.get("se.fc2.bias"),
  );
  y = tf.mul(y, tf.sigmoid(excite));
  y = applyNorm(p.scope("norm3"), conv1x1(y, p.get("conv3.weight"))) as tf.Tensor4D;
  const shortcut = p.has("shortcut.weight")
    ? applyNorm(p.scope("shortcut_norm"), conv1x1(x, p.get("shortcut.weight")))
    : x;
  return silu(tf.add(y, shortcut)) as tf.Tensor4D;
}

function stage(p: ParamScope, depth: number, x: tf.Tensor4D): tf.Tensor4D {
  let h = x;
  for (let i = 0; i < depth; i++) h = bottleneck(p.scope(String(i)), h);
  return h;
}

/** tokens [n, gh * gw, in] -> image tokens [n, tokens, out]. */
export function cAbstractorForward(
  p: ParamScope,
  o: CAbstractorOptions,
  x: tf.Tensor3D,
): tf.Tensor3D {
  const [n] = x.shape;
  const side = Math.round(Math.sqrt(o.tokens));
  let h: tf.Tensor3D = o.posEmbed ? tf.add(x, p.get("pos_embed")) : x;
  const [gh, gw] = o.grid;
  let g = stage(p.scope("stage1"), o.depth, tf.reshape(h, [n, gh, gw, -1]) as tf.Tensor4D);
  h = adaptiveAvgPool(tf.reshape(g, [n, gh * gw, -1]) as tf.Tensor3D, o.grid, [side, side]);
  g = stage(p.scope("stage2"), o.depth, tf.reshape(h, [n, side, side, -1]) as tf.Tensor4D);
  let y: tf.Tensor = tf.reshape(g, [n * side * side, -1]);
  for (let j = 0; j < o.mlpDepth; j++) {
    if (j > 0) y = silu(y);
    y = linear(y, p.get(`readout.${j}.weight`), p.get(`readout.${j}.bias`));
  }
  return tf.reshape(y, [n, side * side, -1]) as tf.Tensor3D;
}
