// A guard around tfjs-backend-webgpu's matrix product (4.22.0). For a product with a small
// output and a long inner dimension (batch 1, K >= 2000, few 32 x 32 tiles) tfjs picks its
// split-K program, and with `transposeB` that program's results are wrong: [8, 2048] x
// [512, 2048]^T differs from cpu's by 140% relative, in chromium's WebGPU with SwiftShader, while
// the same product through tfjs's other programs agrees to 1.3e-6 (test/runtime/webgpu-page.ts).
// `a x W^T` with K >= 2000 is the gradient of every wide layer's input (an MLP's up projection
// at 2048 hidden, say) when a step has few tokens, so a small webgpu step trained on wrong
// gradients. The guard has tfjs take its small-output program for exactly those products
// (tfjs's `WEBGPU_MATMUL_PROGRAM_TYPE` for the one call) and leaves every other product, and any
// program type a user set, alone.
import * as tf from "@tensorflow/tfjs-core";

const FLAG = "WEBGPU_MATMUL_PROGRAM_TYPE";
const THRESHOLD_FLAG = "WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL";
/** tfjs-backend-webgpu's MatMulProgramType.MatMulSmallOutputSizeProgram. */
const SMALL_OUTPUT = 2;
const GUARDED = Symbol("mmc-guarded");

const product = (shape: readonly number[]): number => shape.reduce((x, y) => x * y, 1);

/** Whether tfjs would run a x b (with these flags) through its split-K program with transposeB. */
export function takesSplitKTransposed(
  a: readonly number[],
  b: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
  threshold: number,
): boolean {
  if (!transposeB || a.length < 2 || b.length < 2) return false;
  const outerA = transposeA ? a[a.length - 1]! : a[a.length - 2]!;
  const outerB = b[b.length - 2]!;
  const inner = b[b.length - 1]!;
  const batch = Math.max(product(a.slice(0, -2)), product(b.slice(0, -2)));
  const tiles = batch * Math.ceil(outerA / 32) * Math.ceil(outerB / 32);
  const few = tiles <= threshold || (outerA <= 8 && tiles <= threshold * 2);
  return few && batch * outerA * outerB > 128 && batch === 1 && inner >= 2000;
}

let guarded = false;

/**
 * Wraps the webgpu BatchMatMul and _FusedMatMul kernels once they are registered; cheap to call
 * again (ops/matmul.ts calls it before each product on webgpu).
 */
export function guardWebgpuMatMul(): void {
  if (guarded) return;
  if (tf.getKernel("BatchMatMul", "webgpu") === undefined) return;
  guarded = true;
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const config = tf.getKernel(name, "webgpu");
    if (config === undefined) continue;
    const inner = config.kernelFunc as tf.KernelFunc & { [GUARDED]?: true };
    if (inner[GUARDED]) continue;
    const wrapped: tf.KernelFunc & { [GUARDED]?: true } = (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const env = tf.env();
      if ((env.get(FLAG) as number) >= 0) return inner(args);
      const set = env.getNumber(THRESHOLD_FLAG);
      const threshold =
        set > 0
          ? set
          : ((args.backend as { thresholdToIncreaseWorkgroups?: number })
              .thresholdToIncreaseWorkgroups ?? 0);
      if (!takesSplitKTransposed(a.shape, b.shape, transposeA, transposeB, threshold))
        return inner(args);
      env.set(FLAG, SMALL_OUTPUT);
      try {
        return inner(args);
      } finally {
        env.set(FLAG, -1);
      }
    };
    wrapped[GUARDED] = true;
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }
}

// Where tfjs-backend-webgpu was imported before this module (a browser bundle), now; Node's
// backend selection calls it again after its lazy import (backend.ts).
guardWebgpuMatMul();
