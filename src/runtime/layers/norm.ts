// Norms over the last axis: LayerNorm (scale and bias) and RMSNorm (scale only). Which one a
// block uses is the component config's `norm` (the same field the manifest is built from), and
// the eps its `norm_eps`.
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_NORM_EPS, type NormKind } from "../../components/blocks.js";
import { PARAM } from "../../components/weight-names.js";
import { fusedLayerNorm, hasFusedLayerNorm } from "../ops/fused-layernorm.js";
import { fusedRmsNorm, hasFusedRmsNorm } from "../ops/fused-norm.js";
import type { ParamScope } from "../params.js";

export type { NormKind };

/** The eps of a config that does not write `norm_eps` (components/blocks.ts). */
export const NORM_EPS = DEFAULT_NORM_EPS;

/** LayerNorm: fused kernels where they run (ops/fused-layernorm.ts), else `layerNormOps`. */
export function layerNorm(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps = NORM_EPS,
): tf.Tensor {
  return hasFusedLayerNorm(x, weight, bias)
    ? fusedLayerNorm(x, weight, bias, eps)
    : layerNormOps(x, weight, bias, eps);
}

/** LayerNorm op by op (any backend). */
export function layerNormOps(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps = NORM_EPS,
): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, weight), bias);
}

/** RMSNorm: fused kernels where the backend has them (ops/fused-norm.ts), else `rmsNormOps`. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps = NORM_EPS): tf.Tensor {
  return hasFusedRmsNorm(x, weight) ? fusedRmsNorm(x, weight, eps) : rmsNormOps(x, weight, eps);
}

/** RMSNorm op by op (any backend). */
export function rmsNormOps(x: tf.Tensor, weight: tf.Tensor, eps = NORM_EPS): tf.Tensor {
  const ms = tf.mean(tf.square(x), x.rank - 1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), weight);
}

/**
 * The norm of `kind` stored under `p` (`weight`, and `bias` for LayerNorm) applied to `x`, with
 * the config's `eps` (its `norm_eps`: no default here, so no caller can forget it).
 */
export function applyNorm(p: ParamScope, kind: NormKind, eps: number, x: tf.Tensor): tf.Tensor {
  const weight = p.get(PARAM.weight);
  return kind === "layer" ? layerNorm(x, weight, p.get(PARAM.bias), eps) : rmsNorm(x, weight, eps);
}
