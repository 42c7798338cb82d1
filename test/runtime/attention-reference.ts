// Attention op by op, the reference the fused attention (ops/fused-attention.ts) is held to on
// cpu and wasm (fused-attention.test.ts) and on webgpu (webgpu-page.ts).
import * as tf from "@tensorflow/tfjs-core";
import { causalMask, repeatKv } from "../../src/runtime/layers/attention.js";
import { applyRopeOps } from "../../src/runtime/layers/positions.js";

/** Attention op by op on q [b, t, h, hd], k and v [b, s, kh, hd]: transposes, products, softmax. */
export function reference(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  rope: readonly [tf.Tensor2D, tf.Tensor2D] | undefined,
  causal: boolean,
): tf.Tensor {
  const [b, t, heads, hd] = q.shape as [number, number, number, number];
  const s = k.shape[1] as number;
  let qh = tf.transpose(q, [0, 2, 1, 3]);
  let kh = tf.transpose(k, [0, 2, 1, 3]);
  if (rope !== undefined) {
    qh = applyRopeOps(qh, rope[0], rope[1]);
    kh = applyRopeOps(kh, rope[0], rope[1]);
  }
  const vh = tf.transpose(v, [0, 2, 1, 3]);
  const q3 = tf.reshape(tf.mul(qh, 1 / Math.sqrt(hd)), [b * heads, t, hd]) as tf.Tensor3D;
  const k3 = tf.reshape(repeatKv(kh, heads), [b * heads, s, hd]) as tf.Tensor3D;
  const v3 = tf.reshape(repeatKv(vh, heads), [b * heads, s, hd]) as tf.Tensor3D;
  let scores: tf.Tensor = tf.matMul(q3, k3, false, true);
  if (causal) scores = tf.add(scores, causalMask(t, s));
  let probs = tf.softmax(scores) as tf.Tensor3D;
  if (causal && t > s) {
    // Rows that see no key (i + s - t < 0) are zeros, as in the fused softmax, not uniform.
    const seen = Float32Array.from({ length: t }, (_, i) => (i + s - t >= 0 ? 1 : 0));
    probs = tf.mul(probs, tf.tensor3d(seen, [1, t, 1]));
  }
  const ctx = tf.matMul(probs, v3);
  return tf.transpose(tf.reshape(ctx, [b, heads, t, hd]), [0, 2, 1, 3]);
}
