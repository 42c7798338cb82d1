// Checks the fused-kernel tests share: a relative difference of two tensors, the kernels a
// function dispatches (to show the fused kernel ran, or did not), and a fused form against its
// op-by-op form.
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";

/** max |a - b| over max |b| (the plain difference where b is all zeros); same lengths. */
export function relDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(y[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Kernel names dispatched while `f` runs. */
export function kernelsOf(f: () => void): string[] {
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  const seen: string[] = [];
  engine.runKernel = (name, inputs, attrs) => {
    seen.push(name);
    return runKernel(name, inputs, attrs);
  };
  try {
    f();
  } finally {
    engine.runKernel = runKernel;
  }
  return seen;
}

/**
 * A fused form against its op-by-op form on `inputs`: the value and every input's gradient under
 * a random cotangent within 1e-5 (relative), the gradients not all small (not a comparison of
 * zeros), and `kernels` among those the fused gradient dispatched.
 */
export function compareFused(
  fused: (...a: tf.Tensor[]) => tf.Tensor,
  ops: (...a: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  kernels: string[],
): void {
  const y = ops(...inputs);
  const dy = tf.randomNormal(y.shape, 0, 1, "float32", 7);
  const loss =
    (f: (...a: tf.Tensor[]) => tf.Tensor) =>
    (...a: tf.Tensor[]) =>
      tf.sum(tf.mul(f(...a), dy));
  let gf: tf.Tensor[] = [];
  const names = kernelsOf(() => {
    gf = tf.grads(loss(fused))(inputs);
  });
  for (const k of kernels) expect(names).toContain(k);
  const go = tf.grads(loss(ops))(inputs);
  const yf = fused(...inputs);
  expect(relDiff(yf, y)).toBeLessThan(1e-5);
  for (let i = 0; i < inputs.length; i++) {
    expect(relDiff(gf[i] as tf.Tensor, go[i] as tf.Tensor), `gradient ${i}`).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(go[i] as tf.Tensor)).dataSync()[0]).toBeGreaterThan(0.05);
  }
  tf.dispose([y, dy, yf, ...gf, ...go]);
}
