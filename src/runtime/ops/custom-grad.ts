// A typed wrapper over tf.customGrad: the forward gets its tensor inputs as an array and the save
// function separately, and returns the value with its gradient function.
import * as tf from "@tensorflow/tfjs-core";

export interface WithGrad {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
}

export function customGrad(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => WithGrad,
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return f(args.slice(0, -1) as tf.Tensor[], save);
  });
  return (...inputs) => g(...inputs);
}
