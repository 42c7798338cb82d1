// OpenAI CLIP's `quick_gelu` (x sigmoid(1.702 x)): the runtime's one-node form with its own
// gradient against the formula written op by op and differentiated by tfjs itself.
import * as tf from "@tensorflow/tfjs-core";
import { expect, test } from "vitest";
import { quickGelu } from "../../src/runtime/layers/mlp.js";
import { useBackend } from "./helpers.js";

test("quick_gelu's value and gradient match tfjs's own derivative of x sigmoid(1.702 x)", async () => {
  await useBackend("cpu");
  const x = tf.linspace(-6, 6, 97);
  const plain = (t: tf.Tensor) => tf.mul(t, tf.sigmoid(tf.mul(t, 1.702)));
  const dy = tf.linspace(0.5, 1.5, 97);
  const want = tf
    .grad((t: tf.Tensor) => tf.sum(tf.mul(plain(t), dy)))(x)
    .dataSync();
  const got = tf
    .grad((t: tf.Tensor) => tf.sum(tf.mul(quickGelu(t), dy)))(x)
    .dataSync();
  const value = quickGelu(x).dataSync();
  const wantValue = plain(x).dataSync();
  for (let i = 0; i < 97; i++) {
    expect(got[i]).toBeCloseTo(want[i] as number, 5);
    expect(value[i]).toBeCloseTo(wantValue[i] as number, 6);
  }
  // not GELU: at x = 1 quick GELU is 0.8458, the tanh GELU 0.8412
  expect(quickGelu(tf.scalar(1)).dataSync()[0]).toBeCloseTo(0.8458, 4);
});
