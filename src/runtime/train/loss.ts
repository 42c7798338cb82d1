// Masked next-token cross-entropy: the mean over the positions whose mask is 1 (text tokens), so
// image-token slots and padding never count. The one-hot is built in int32 and cast: a float32
// oneHot on wasm returns garbage.
import * as tf from "@tensorflow/tfjs-core";
import { fusedCrossEntropy, hasFusedCrossEntropy } from "../ops/fused-loss.js";
import { logSumExp } from "../ops/logsumexp.js";

/**
 * logits [n, vocab], targets int32 [n], mask [n] (1 counts, 0 ignored) -> mean loss. Two fused
 * kernels where the backend has them (ops/fused-loss.ts), else `crossEntropyOps`.
 */
export function crossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  mask: tf.Tensor1D,
): tf.Scalar {
  return hasFusedCrossEntropy(logits, targets, mask)
    ? fusedCrossEntropy(logits, targets, mask)
    : crossEntropyOps(logits, targets, mask);
}

/** The masked cross-entropy op by op (any backend). */
export function crossEntropyOps(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  mask: tf.Tensor1D,
): tf.Scalar {
  const vocab = logits.shape[1];
  const lse = logSumExp(logits); // [n]
  const onehot = tf.cast(tf.oneHot(tf.cast(targets, "int32"), vocab, 1, 0, "int32"), "float32");
  const picked = tf.sum(tf.mul(logits, onehot), 1); // [n]
  const perToken = tf.sub(lse, picked);
  const m = tf.cast(mask, "float32");
  return tf.div(tf.sum(tf.mul(perToken, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
}
