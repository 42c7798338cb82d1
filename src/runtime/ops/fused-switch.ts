// Which of the fused layer ops (SwiGLU, rotary positions, masked cross-entropy, attention's
// scaled masked softmax, the whole attention core, LayerNorm, GELU in its three forms) run where the
// backend has their kernels. Each is on by default only on the backends listed for it: there it
// matches the op-by-op form (tests) and is not slower (bench/dispatches.mjs --time). Elsewhere, or
// with the switch set to false, the op-by-op form runs. `setFusedOps` changes the switches (tests
// and benchmarks compare the two forms with it).
import * as tf from "@tensorflow/tfjs-core";

export type FusedOp =
  | "swiglu"
  | "rope"
  | "crossEntropy"
  | "maskedSoftmax"
  | "attention"
  | "layerNorm"
  | "gelu"
  | "geluExact"
  | "quickGelu"
  | "rmsNorm";

/** The backends each fused op is on by default on (where its kernel is registered). */
export const FUSED_DEFAULT: Readonly<Record<FusedOp, readonly string[]>> = {
  // Not wasm: there the JS loop (Math.exp per element) is slower than wasm's own Sigmoid and
  // Multiply kernels (bench/fused-ops.mjs: 0.56x at the tiny step's shape).
  swiglu: ["webgpu", "cpu"],
  rope: ["webgpu", "wasm", "cpu"],
  crossEntropy: ["webgpu", "wasm", "cpu"],
  // Not wasm: slower there (bench/fused-ops.mjs: 0.74x), and the README's quickstart scores were
  // measured on wasm's op-by-op path, which this does not reproduce bit for bit. Not webgpu yet: its WGSL
  // kernels are checked in chromium but not timed against the op-by-op form.
  maskedSoftmax: ["cpu"],
  // On webgpu: 4 dispatches a layer where op by op takes about 22, at the 0.25-0.45 ms a dispatch
  // measured on an H100 (issue 16) against well under a millisecond of attention arithmetic a
  // layer at the mid benchmark's size; checked against attention op by op in chromium, not yet
  // timed on a GPU. Not wasm (a JS loop against XNNPACK's products: 2.9x slower a tiny step,
  // bench/dispatches.mjs --attention-fused) nor cpu (within noise there).
  attention: ["webgpu"],
  // LayerNorm: on webgpu, where op by op it is 9 dispatches forward and 25 backward; on wasm,
  // where its JS loops beat those kernels (the mid decoder's step 16.39 -> 15.96 s, 6,638 -> 4,394
  // kernels; the quickstart's ViT runs 5 of them a step on small tensors); not on cpu, whose
  // op-by-op numbers the towers' published checks were taken with. GELU (tanh form): webgpu
  // only; on wasm the JS loop's Math.tanh costs what the op-by-op kernels do (layers/mlp.ts
  // computes that form through wasm's fast Sigmoid instead).
  layerNorm: ["webgpu", "wasm"],
  gelu: ["webgpu"],
  // The exact (erf) and quick forms: webgpu only, as the tanh form (the towers' op-by-op numbers
  // on wasm and cpu stay as they were).
  geluExact: ["webgpu"],
  quickGelu: ["webgpu"],
  // Everywhere its kernels are (since the first fused kernels): the switch exists so that a whole
  // step can run op by op for comparison (bench/webgpu-browser.mjs --fused-vs-ops).
  rmsNorm: ["webgpu", "wasm", "cpu"],
};

/** true / false force an op on or off on every backend with its kernel; undefined: the default. */
const forced: Partial<Record<FusedOp, boolean>> = {};

/** Forces ops on or off (`undefined` restores the default); returns the previous settings. */
export function setFusedOps(
  settings: Partial<Record<FusedOp, boolean | undefined>>,
): Partial<Record<FusedOp, boolean>> {
  const previous = { ...forced };
  for (const [k, v] of Object.entries(settings) as [FusedOp, boolean | undefined][]) {
    if (v === undefined) delete forced[k];
    else forced[k] = v;
  }
  return previous;
}

/** Whether `op` runs fused on the backend in use: its kernel is there and the switch is on. */
export function fusedOn(op: FusedOp, kernel: string): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(kernel, backend) === undefined) return false;
  return forced[op] ?? FUSED_DEFAULT[op].includes(backend);
}
