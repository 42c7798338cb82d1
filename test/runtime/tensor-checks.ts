// Checks the fused-kernel tests share: a relative difference of two tensors, and the kernels a
// function dispatches (to show the fused kernel ran, or did not).
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
