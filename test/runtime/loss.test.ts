// Cross-entropy against values computed by hand, on both CPU backends.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { crossEntropy } from "../../src/runtime/train/loss.js";
import { useBackend } from "./helpers.js";

/** -log softmax(row)[target], written out with plain numbers. */
function byHand(row: number[], target: number): number {
  const sum = row.reduce((a, x) => a + Math.exp(x), 0);
  return Math.log(sum) - (row[target] as number);
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`cross-entropy on ${backend}`, () => {
    it("matches a hand-computed masked mean", async () => {
      await useBackend(backend);
      const rows = [
        [2, 0.5, -1, 0],
        [0, 0, 0, 0],
        [1, 3, 0.25, -2],
      ];
      const targets = [0, 2, 3];
      const mask = [1, 1, 0];
      const loss = tf.tidy(
        () =>
          crossEntropy(
            tf.tensor2d(rows),
            tf.tensor1d(targets, "int32"),
            tf.tensor1d(mask),
          ).dataSync()[0],
      );
      const expected = (byHand(rows[0]!, 0) + byHand(rows[1]!, 2)) / 2;
      expect(expected).toBeCloseTo(0.5 * (0.3424 + Math.log(4)), 3);
      expect(loss).toBeCloseTo(expected, 5);
    });

    it("has the gradient softmax - onehot over the counted rows", async () => {
      await useBackend(backend);
      const logits = tf.tensor2d([
        [1, 2, 3],
        [0, 0, 0],
      ]);
      const g = tf.grad((x: tf.Tensor) =>
        crossEntropy(x as tf.Tensor2D, tf.tensor1d([2, 0], "int32"), tf.tensor1d([1, 0])),
      )(logits);
      const row = [1, 2, 3].map((x) => Math.exp(x));
      const z = row.reduce((a, b) => a + b, 0);
      const expected = [row[0]! / z, row[1]! / z, row[2]! / z - 1, 0, 0, 0];
      const got = Array.from(g.dataSync());
      expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
      tf.dispose([logits, g]);
    });
  });
}
