// Row gathers and scatter-adds with hand-written gradients (each is the other's adjoint): the
// built-in gather gradient needs a kernel wasm lacks. Used by embeddings, MoE dispatch and the
// placement of image tokens in the text sequence. The index is saved (kept) for the backward pass.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";

/** rows [n] of table [v, d] -> [n, d]. `index` is int32 and carries no gradient. */
export function gatherRows(table: tf.Tensor2D, index: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  const f = customGrad(([t], save) => {
    save([index]);
    return {
      value: tf.gather(t as tf.Tensor, index),
      gradFunc: (dy, saved) => scatterAddRows(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, rows),
    };
  });
  return f(table) as tf.Tensor2D;
}

/** [rows, d] with updates [n, d] summed into the rows named by `index` [n]. */
export function scatterAddRows(
  updates: tf.Tensor2D,
  index: tf.Tensor1D,
  rows: number,
): tf.Tensor2D {
  const width = updates.shape[1];
  const f = customGrad(([u], save) => {
    save([index]);
    return {
      value: tf.scatterND(tf.reshape(index, [-1, 1]), u as tf.Tensor, [rows, width]),
      gradFunc: (dy, saved) => tf.gather(dy, saved[0] as tf.Tensor1D),
    };
  });
  return f(updates) as tf.Tensor2D;
}
