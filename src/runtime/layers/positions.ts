// Position information: rotary embeddings (rotate-half form, applied to queries and keys) and
// learned absolute positions (a [context, width] table added to the token embeddings).
import * as tf from "@tensorflow/tfjs-core";
import { fusedRope, hasFusedRope } from "../ops/fused-elementwise.js";

/** cos and sin [t, headDim / 2] for positions 0..t-1, in host memory. */
function ropeValues(t: number, headDim: number, base: number): [Float32Array, Float32Array] {
  const half = headDim / 2;
  const cos = new Float32Array(t * half);
  const sin = new Float32Array(t * half);
  for (let pos = 0; pos < t; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = pos / Math.pow(base, (2 * i) / headDim);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return [cos, sin];
}

/** cos and sin tables [t, headDim / 2] for positions 0..t-1 (`base`: the Decoder's `rope_base`). */
export function ropeTables(t: number, headDim: number, base: number): [tf.Tensor2D, tf.Tensor2D] {
  const half = headDim / 2;
  const [cos, sin] = ropeValues(t, headDim, base);
  return [tf.tensor2d(cos, [t, half]), tf.tensor2d(sin, [t, half])];
}

/**
 * The same numbers as one table [t, headDim] for the fused attention (ops/fused-attention.ts):
 * row p holds cos(p w_0 .. p w_{half-1}) then sin(p w_0 ..).
 */
export function ropeTablePacked(t: number, headDim: number, base: number): tf.Tensor2D {
  const half = headDim / 2;
  const [cos, sin] = ropeValues(t, headDim, base);
  const table = new Float32Array(t * headDim);
  for (let p = 0; p < t; p++) {
    table.set(cos.subarray(p * half, (p + 1) * half), p * headDim);
    table.set(sin.subarray(p * half, (p + 1) * half), p * headDim + half);
  }
  return tf.tensor2d(table, [t, headDim]);
}

/**
 * Rotates x [..., t, headDim] by position: (x1, x2) -> (x1 cos - x2 sin, x1 sin + x2 cos). One
 * fused kernel each way where the backend has it (ops/fused-elementwise.ts), else `applyRopeOps`.
 */
export function applyRope(x: tf.Tensor, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor {
  return hasFusedRope(x, cos, sin) ? fusedRope(x, cos, sin) : applyRopeOps(x, cos, sin);
}

/** Rotary positions op by op (any backend; cos and sin broadcast against x's [t, headDim / 2]). */
export function applyRopeOps(x: tf.Tensor, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor {
  const half = (x.shape[x.rank - 1] as number) / 2;
  const begin = x.shape.map(() => 0);
  const size = x.shape.map((d, i) => (i === x.rank - 1 ? half : d));
  const x1 = tf.slice(x, begin, size);
  const x2 = tf.slice(x, [...begin.slice(0, -1), half], size);
  return tf.concat(
    [tf.sub(tf.mul(x1, cos), tf.mul(x2, sin)), tf.add(tf.mul(x1, sin), tf.mul(x2, cos))],
    x.rank - 1,
  );
}

/** Learned positions: rows 0..t-1 of `table` [context, width], broadcast over the batch. */
export function learnedPositions(table: tf.Tensor, t: number): tf.Tensor2D {
  return tf.slice(table, [0, 0], [t, -1]) as tf.Tensor2D;
}
