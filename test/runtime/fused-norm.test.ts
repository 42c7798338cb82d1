// The fused RMSNorm kernels (ops/fused-norm.ts) against the op-by-op norm: values and gradients of
// x and the weight, on wasm and cpu, for a 2-D input and a per-head (4-D) one.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { rmsNorm, rmsNormOps } from "../../src/runtime/layers/norm.js";
import {
  RMS_NORM_GRAD_KERNEL,
  RMS_NORM_KERNEL,
  hasFusedRmsNorm,
} from "../../src/runtime/ops/fused-norm.js";
import { useBackend } from "./helpers.js";
import { kernelsOf, relDiff } from "./tensor-checks.js";

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused RMSNorm on ${backend}`, () => {
    for (const shape of [
      [6, 32],
      [2, 3, 5, 16],
    ]) {
      it(`matches the op-by-op norm and its gradients on [${shape.join(", ")}]`, async () => {
        await useBackend(backend);
        const d = shape[shape.length - 1] as number;
        const x = tf.randomNormal(shape, 0.3, 2, "float32", 1);
        const w = tf.randomNormal([d], 1, 0.5, "float32", 2);
        const dy = tf.randomNormal(shape, 0, 1, "float32", 3);
        expect(hasFusedRmsNorm(x, w)).toBe(true);
        let fused: tf.Tensor[] = [];
        const names = kernelsOf(() => {
          fused = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b), dy)))([
            x,
            w,
          ]);
        });
        expect(names).toContain(RMS_NORM_KERNEL);
        expect(names).toContain(RMS_NORM_GRAD_KERNEL);
        const plain = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(rmsNormOps(a, b), dy)),
        )([x, w]);
        const y = rmsNorm(x, w);
        const yPlain = rmsNormOps(x, w);
        expect(relDiff(y, yPlain)).toBeLessThan(1e-5);
        expect(relDiff(fused[0] as tf.Tensor, plain[0] as tf.Tensor)).toBeLessThan(1e-5);
        expect(relDiff(fused[1] as tf.Tensor, plain[1] as tf.Tensor)).toBeLessThan(1e-5);
        // Not a comparison of zeros: the gradients are of the order of one.
        expect(tf.max(tf.abs(plain[0] as tf.Tensor)).dataSync()[0]).toBeGreaterThan(0.1);
        tf.dispose([x, w, dy, y, yPlain, ...fused, ...plain]);
      });
    }

    it("leaves no tensors behind", async () => {
      await useBackend(backend);
      const x = tf.randomNormal([4, 8]);
      const w = tf.ones([8]);
      const before = tf.memory().numTensors;
      const g = tf.grads((a: tf.Tensor) => tf.sum(rmsNorm(a, w)))([x]);
      tf.dispose(g);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
    });
  });
}
