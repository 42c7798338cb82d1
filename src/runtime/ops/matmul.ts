// Matrix products shaped for speed on every backend. On wasm tfjs's stock kernel reaches XNNPACK
// only for a 2-D matMul without transposes and runs a scalar loop otherwise; ops/wasm-matmul.ts
// replaces it with one that takes every product there. Without that kernel (setWasmMatMul(false))
// we flatten to 2-D here, transpose explicitly in the gradients, and split batched products into
// per-slice 2-D ones. Everywhere else the products use matMul's transpose flags directly.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import "./gradients.js";
import { wasmMatMulOn } from "./wasm-matmul.js";
import { guardWebgpuMatMul } from "./webgpu-matmul.js";

/**
 * Whether to take the wasm-shaped paths (explicit transposes, per-slice batched products): on
 * wasm with its BatchMatMul kernel switched off (setWasmMatMul(false)).
 */
export function wantsFlatMatmul(): boolean {
  const backend = tf.getBackend();
  // Every product of the runtime passes here: on webgpu, make sure tfjs's matMul is guarded
  // (webgpu-matmul.ts) whenever tfjs-backend-webgpu was imported after this module.
  if (backend === "webgpu") guardWebgpuMatMul();
  return backend === "wasm" && !wasmMatMulOn();
}

/** a x b^T for rank-2 or rank-3 (batched) operands, via explicit transposes when flat. */
function timesTransposed(a: tf.Tensor, b: tf.Tensor, flat: boolean): tf.Tensor {
  if (!flat) return tf.matMul(a, b, false, true);
  const bt = tf.transpose(b, b.rank === 2 ? [1, 0] : [0, 2, 1]);
  return a.rank === 2
    ? tf.matMul(a as tf.Tensor2D, bt as tf.Tensor2D)
    : sliced(a as tf.Tensor3D, bt as tf.Tensor3D);
}

/** a^T x b. */
function transposedTimes(a: tf.Tensor, b: tf.Tensor, flat: boolean): tf.Tensor {
  if (!flat) return tf.matMul(a, b, true, false);
  const at = tf.transpose(a, a.rank === 2 ? [1, 0] : [0, 2, 1]);
  return a.rank === 2
    ? tf.matMul(at as tf.Tensor2D, b as tf.Tensor2D)
    : sliced(at as tf.Tensor3D, b as tf.Tensor3D);
}

/** Batched product as one 2-D product per slice (the XNNPACK path on wasm). */
function sliced(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((x, i) => tf.matMul(x, bs[i] as tf.Tensor2D))) as tf.Tensor3D;
}

function product(flat: boolean): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return customGrad(([a, b], save) => {
    save([a as tf.Tensor, b as tf.Tensor]);
    // tidy: the per-slice pieces must not live on until the backward pass
    const value = tf.tidy(() =>
      flat && a!.rank === 3
        ? sliced(a as tf.Tensor3D, b as tf.Tensor3D)
        : tf.matMul(a as tf.Tensor, b as tf.Tensor),
    );
    return {
      value,
      gradFunc: (dy, saved) => {
        const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
        return [
          tf.tidy(() => timesTransposed(dy, sb, flat)),
          tf.tidy(() => transposedTimes(sa, dy, flat)),
        ];
      },
    };
  });
}

const flatProduct = product(true);
const plainProduct = product(false);

/** a [m, k] x b [k, n] -> [m, n]. */
export function matmul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return (wantsFlatMatmul() ? flatProduct : plainProduct)(a, b) as tf.Tensor2D;
}

/** Batched product a [b, m, k] x b [b, k, n] -> [b, m, n]. */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  return (wantsFlatMatmul() ? flatProduct : plainProduct)(a, b) as tf.Tensor3D;
}

/** x [..., in] times w [in, out] (+ bias [out]) -> [..., out], computed as one 2-D product. */
export function linear(x: tf.Tensor, w: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inW = w.shape[0] as number;
  const outW = w.shape[1] as number;
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, inW]);
  let y: tf.Tensor = matmul2d(x2 as tf.Tensor2D, w as tf.Tensor2D);
  if (bias !== undefined) y = tf.add(y, bias);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, outW]);
}
