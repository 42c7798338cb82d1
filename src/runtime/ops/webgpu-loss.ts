// The masked cross-entropy's fused kernels (ops/fused-loss.ts) on webgpu, as WGSL programs run
// through tfjs-backend-webgpu's program runner. Forward: each row's log-sum-exp (one invocation a
// row), then the mean loss (one invocation); backward: the scale dy / max(count, 1) (one
// invocation), then the logits' gradient (one invocation an element). 4 dispatches in all.
import * as tf from "@tensorflow/tfjs-core";
import { flatProgram, type Uniform, type WebgpuBackendLike } from "./webgpu-program.js";

const run = (
  backend: unknown,
  p: ReturnType<typeof flatProgram>,
  inputs: tf.TensorInfo[],
  uniforms: Uniform[],
): tf.TensorInfo => (backend as WebgpuBackendLike).runWebGPUProgram(p, inputs, "float32", uniforms);

const dims = (n: number, vocab: number): Uniform[] => [
  { type: "int32", data: [n] },
  { type: "int32", data: [vocab] },
];
const DIMS = "n : i32, vocab : i32,";

/** Inputs logits, targets (int32), mask; outputs the loss [] and lse [n]. */
const forward: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, targets, mask } = inputs as Record<"logits" | "targets" | "mask", tf.TensorInfo>;
  const [n, vocab] = logits.shape as [number, number];
  const lse = run(
    backend,
    flatProgram(
      "ce_lse",
      [Math.max(n, 1)],
      ["L"],
      DIMS,
      `let o = index * uniforms.vocab;
          var m = -3.402823e38;
          for (var j = 0; j < uniforms.vocab; j++) {
            m = max(m, L[o + j]);
          }
          var s = 0.0;
          for (var j = 0; j < uniforms.vocab; j++) {
            s = s + exp(L[o + j] - m);
          }
          setOutputAtIndex(index, m + log(s));`,
    ),
    [logits],
    dims(n, vocab),
  );
  const loss = run(
    backend,
    flatProgram(
      "ce_loss",
      [1],
      ["L", "T", "M", "LSE"],
      DIMS,
      `var sum = 0.0;
          var count = 0.0;
          for (var i = 0; i < uniforms.n; i++) {
            let t = T[i];
            var picked = 0.0;
            if (t >= 0 && t < uniforms.vocab) {
              picked = L[i * uniforms.vocab + t];
            }
            sum = sum + (LSE[i] - picked) * M[i];
            count = count + M[i];
          }
          setOutputAtIndex(index, sum / max(count, 1.0));`,
    ),
    [logits, targets, mask, lse],
    dims(n, vocab),
  );
  return [
    { ...loss, shape: [] },
    { ...lse, shape: [n] },
  ];
};

/** Inputs dy, logits, targets, mask, lse; output dlogits. */
const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, logits, targets, mask, lse } = inputs as Record<
    "dy" | "logits" | "targets" | "mask" | "lse",
    tf.TensorInfo
  >;
  const [n, vocab] = logits.shape as [number, number];
  const scale = run(
    backend,
    flatProgram(
      "ce_scale",
      [1],
      ["DY", "M"],
      DIMS,
      `var count = 0.0;
          for (var i = 0; i < uniforms.n; i++) {
            count = count + M[i];
          }
          setOutputAtIndex(index, DY[0] / max(count, 1.0));`,
    ),
    [dy, mask],
    dims(n, vocab),
  );
  const g = run(
    backend,
    flatProgram(
      "ce_grad",
      [...logits.shape],
      ["L", "T", "M", "LSE", "SCALE"],
      DIMS,
      `let i = index / uniforms.vocab;
          let j = index - i * uniforms.vocab;
          var onehot = 0.0;
          if (T[i] == j) {
            onehot = 1.0;
          }
          let w = M[i] * SCALE[0];
          setOutputAtIndex(index, w * (exp(L[index] - LSE[i]) - onehot));`,
    ),
    [logits, targets, mask, lse, scale],
    dims(n, vocab),
  );
  (backend as WebgpuBackendLike).disposeData(scale.dataId);
  return g;
};

/** Registers the two kernels for webgpu under `names` (those of ops/fused-loss.ts). */
export function registerWebgpuCrossEntropy(names: { forward: string; backward: string }): void {
  if (tf.getKernel(names.forward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.forward, backendName: "webgpu", kernelFunc: forward });
  if (tf.getKernel(names.backward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.backward, backendName: "webgpu", kernelFunc: backward });
}
