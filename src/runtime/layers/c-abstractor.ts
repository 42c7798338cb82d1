// C-Abstractor (Honeybee, MM1's connector): learned grid positions, a stage of RegNet bottleneck
// blocks (1x1 conv, 3x3 depthwise conv, squeeze-excite, 1x1 conv, LayerNorm over channels, SiLU),
// adaptive average pooling to sqrt(tokens)^2, a second stage, then an MLP readout with SiLU.
// Convolutions run on NHWC grids; 1x1 convs are 2-D products, the depthwise conv nine shifted sums.
import * as tf from "@tensorflow/tfjs-core";
import { blockInput, hasShortcut, type CAbstractorConfig } from "../../components/c-abstractor.js";
import { BOTTLENECK, C_ABSTRACTOR, PARAM, dot } from "../../components/weight-names.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";
import { silu } from "./mlp.js";
import { applyNorm } from "./norm.js";
import { adaptiveAvgPool } from "./pooling.js";

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

/** The block's weight `name.weight` (convs and linears) or `name.bias`. */
function w(p: ParamScope, name: string): tf.Tensor {
  return p.get(dot(name, PARAM.weight));
}

/**
 * One bottleneck block from `cin` channels (the output has the input's channels or `hidden`); its
 * LayerNorms add `eps` (the config's `norm_eps`).
 */
function bottleneck(
  p: ParamScope,
  cin: number,
  c: number,
  eps: number,
  x: tf.Tensor4D,
): tf.Tensor4D {
  const B = BOTTLENECK;
  const ln = (name: string, y: tf.Tensor): tf.Tensor => applyNorm(p.scope(name), "layer", eps, y);
  let y = silu(ln(B.norm1, conv1x1(x, w(p, B.conv1)))) as tf.Tensor4D;
  y = silu(ln(B.norm2, depthwise3x3(y, w(p, B.conv2)))) as tf.Tensor4D;
  const squeezed = tf.mean(y, [1, 2], true) as tf.Tensor4D; // [n, 1, 1, c]
  const bias = (name: string): tf.Tensor => p.get(dot(name, PARAM.bias));
  const excite = conv1x1(
    tf.relu(conv1x1(squeezed, w(p, B.seFc1), bias(B.seFc1))),
    w(p, B.seFc2),
    bias(B.seFc2),
  );
  y = tf.mul(y, tf.sigmoid(excite));
  y = ln(B.norm3, conv1x1(y, w(p, B.conv3))) as tf.Tensor4D;
  const shortcut = hasShortcut(cin, c) ? ln(B.shortcutNorm, conv1x1(x, w(p, B.shortcut))) : x;
  return silu(tf.add(y, shortcut)) as tf.Tensor4D;
}

function stage(
  p: ParamScope,
  o: CAbstractorConfig,
  cin: number,
  c: number,
  x: tf.Tensor4D,
): tf.Tensor4D {
  let h = x;
  for (let i = 0; i < o.depth; i++)
    h = bottleneck(p.scope(C_ABSTRACTOR.block(i)), blockInput(i, cin, c), c, o.normEps, h);
  return h;
}

/** tokens [n, gh * gw, in] -> image tokens [n, tokens, out]. */
export function cAbstractorForward(
  p: ParamScope,
  o: CAbstractorConfig,
  x: tf.Tensor3D,
): tf.Tensor3D {
  const [n] = x.shape;
  const side = Math.round(Math.sqrt(o.tokens));
  let h: tf.Tensor3D = o.posEmbed ? tf.add(x, p.get(C_ABSTRACTOR.posEmbed)) : x;
  const [gh, gw] = o.grid;
  const grid1 = tf.reshape(h, [n, gh, gw, -1]) as tf.Tensor4D;
  let g = stage(p.scope(C_ABSTRACTOR.stage1), o, o.in, o.hidden, grid1);
  h = adaptiveAvgPool(tf.reshape(g, [n, gh * gw, -1]) as tf.Tensor3D, o.grid, [side, side]);
  const grid2 = tf.reshape(h, [n, side, side, -1]) as tf.Tensor4D;
  g = stage(p.scope(C_ABSTRACTOR.stage2), o, o.hidden, o.hidden, grid2);
  let y: tf.Tensor = tf.reshape(g, [n * side * side, -1]);
  for (let j = 0; j < o.mlpDepth; j++) {
    if (j > 0) y = silu(y);
    const readout = C_ABSTRACTOR.readout(j);
    y = linear(y, w(p, readout), p.get(dot(readout, PARAM.bias)));
  }
  return tf.reshape(y, [n, side * side, -1]) as tf.Tensor3D;
}
