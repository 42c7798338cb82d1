// log(sum(exp(x))) over the last axis, stable (max subtracted), with the gradient softmax(x) * dy
// written by hand (the composite op would differentiate through `max`).
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";

const lse = customGrad(([x], save) => {
  const t = x as tf.Tensor;
  const axis = t.rank - 1;
  const value = tf.tidy(() => {
    const m = tf.max(t, axis, true);
    return tf.add(tf.reshape(m, m.shape.slice(0, -1)), tf.log(tf.sum(tf.exp(tf.sub(t, m)), axis)));
  });
  save([t, value]);
  return {
    value,
    gradFunc: (dy, saved) => {
      const [sx, sv] = saved as [tf.Tensor, tf.Tensor];
      const p = tf.exp(tf.sub(sx, tf.expandDims(sv, -1)));
      return tf.mul(p, tf.expandDims(dy, -1));
    },
  };
});

/** x [..., n] -> [...]. */
export function logSumExp(x: tf.Tensor): tf.Tensor {
  return lse(x);
}
