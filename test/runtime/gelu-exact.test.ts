// The exact GELU (`gelu_exact`, x Phi(x) through erf): the runtime's one-node form with its own
// gradient against a float64 reference written here (erf by its all-positive series, so no
// cancellation), on cpu and wasm, whose erf kernels differ (cpu: Abramowitz-Stegun 7.1.26).
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, test } from "vitest";
import { gelu, geluExact } from "../../src/runtime/layers/mlp.js";
import { useBackend } from "./helpers.js";

/** erf(z) = 2/sqrt(pi) e^(-z^2) sum_n 2^n z^(2n+1) / (1 3 5 ... (2n+1)), in float64. */
function erf64(z: number): number {
  const a = Math.abs(z);
  let term = a;
  let sum = a;
  for (let n = 1; n < 200 && term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(z) * Math.min(1, (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum);
}
const cdf64 = (x: number) => 0.5 * (1 + erf64(x / Math.SQRT2));
const pdf64 = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

test("the float64 erf reference is erf (known values)", () => {
  expect(erf64(0)).toBe(0);
  expect(erf64(0.5)).toBeCloseTo(0.5204998778130465, 15);
  expect(erf64(1)).toBeCloseTo(0.8427007929497149, 15);
  expect(erf64(-2)).toBeCloseTo(-0.9953222650189527, 15);
  expect(erf64(3)).toBeCloseTo(0.9999779095030014, 15);
});

const N = 241;
for (const backend of ["cpu", "wasm"] as const) {
  describe(`gelu_exact on ${backend}`, () => {
    test("value and gradient are x Phi(x) and Phi(x) + x phi(x) within 1e-6 (float64 reference)", async () => {
      await useBackend(backend);
      const xs = Array.from({ length: N }, (_, i) => -8 + (16 * i) / (N - 1) + 1e-3);
      const dys = xs.map((_, i) => 0.5 + i / N);
      const x = tf.tensor1d(xs);
      const dy = tf.tensor1d(dys);
      const value = geluExact(x).dataSync();
      const grad = tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(geluExact(t), dy)))(x)
        .dataSync();
      let worstValue = 0;
      let worstGrad = 0;
      for (let i = 0; i < N; i++) {
        const xi = Math.fround(xs[i]!);
        const dyi = Math.fround(dys[i]!);
        worstValue = Math.max(worstValue, Math.abs(value[i]! - xi * cdf64(xi)));
        worstGrad = Math.max(worstGrad, Math.abs(grad[i]! - dyi * (cdf64(xi) + xi * pdf64(xi))));
      }
      expect(worstValue).toBeLessThan(1e-6);
      expect(worstGrad).toBeLessThan(1e-6);
      tf.dispose([x, dy]);
    });

    test("it is not the tanh GELU: 1.5e-4 apart at x = 1", async () => {
      await useBackend(backend);
      const one = tf.scalar(1);
      expect(geluExact(one).dataSync()[0]).toBeCloseTo(0.8413447, 6);
      expect(geluExact(one).dataSync()[0]! - gelu(one).dataSync()[0]!).toBeCloseTo(1.53e-4, 5);
    });
  });
}
