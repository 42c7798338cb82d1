// Adaptive average pooling of a token grid as one 2-D product with a constant pooling matrix
// (PyTorch's bins: rows floor(i * in / out) to ceil((i + 1) * in / out)), so 27x27 -> 12x12 works.
import * as tf from "@tensorflow/tfjs-core";
import { matmul2d } from "../ops/matmul.js";

function bins(input: number, output: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < output; i++) {
    out.push([Math.floor((i * input) / output), Math.ceil(((i + 1) * input) / output)]);
  }
  return out;
}

/** The [oh * ow, ih * iw] matrix whose product with a grid averages each output cell's bin. */
export function poolingMatrix(ih: number, iw: number, oh: number, ow: number): Float32Array {
  const m = new Float32Array(oh * ow * ih * iw);
  const rows = bins(ih, oh);
  const cols = bins(iw, ow);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const [r0, r1] = rows[r] as [number, number];
      const [c0, c1] = cols[c] as [number, number];
      const w = 1 / ((r1 - r0) * (c1 - c0));
      for (let y = r0; y < r1; y++)
        for (let x = c0; x < c1; x++) m[(r * ow + c) * ih * iw + y * iw + x] = w;
    }
  }
  return m;
}

/** x [n, ih * iw, c] on an ih x iw grid -> [n, oh * ow, c]. */
export function adaptiveAvgPool(
  x: tf.Tensor3D,
  grid: readonly [number, number],
  out: readonly [number, number],
): tf.Tensor3D {
  const [n, tokens, c] = x.shape;
  if (grid[0] === out[0] && grid[1] === out[1]) return x;
  const pm = tf.tensor2d(poolingMatrix(grid[0], grid[1], out[0], out[1]), [
    out[0] * out[1],
    tokens,
  ]);
  const cols = tf.reshape(tf.transpose(x, [1, 0, 2]), [tokens, n * c]); // [tokens, n*c]
  const pooled = tf.reshape(matmul2d(pm, cols as tf.Tensor2D), [out[0] * out[1], n, c]);
  return tf.transpose(pooled, [1, 0, 2]) as tf.Tensor3D;
}
