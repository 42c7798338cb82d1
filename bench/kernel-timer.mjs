// Timing each outermost tfjs kernel (a kernel may run others inside it) by wrapping the engine's
// runKernel: the shared core of bench/step-profile.mjs and bench/run-kernels.mjs. True time on the
// synchronous backends (wasm, cpu); on webgpu it is dispatch time.
import * as tf from "@tensorflow/tfjs-core";

/**
 * Starts timing: `onKernel(name, inputs, attrs, ms)` is called after each outermost kernel.
 * Returns a function that stops timing (restores the engine's runKernel).
 */
export function timeKernels(onKernel) {
  const engine = tf.engine();
  const original = engine.runKernel.bind(engine);
  let depth = 0;
  engine.runKernel = (name, inputs, attrs) => {
    depth++;
    const t0 = performance.now();
    try {
      return original(name, inputs, attrs);
    } finally {
      depth--;
      if (depth === 0) onKernel(name, inputs, attrs, performance.now() - t0);
    }
  };
  return () => {
    engine.runKernel = original;
  };
}
