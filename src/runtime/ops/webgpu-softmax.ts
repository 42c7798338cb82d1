// The scaled masked softmax's fused kernels (ops/fused-softmax.ts) on webgpu, as WGSL programs run
// through tfjs-backend-webgpu's program runner: one invocation a row (rows are at most a few
// thousand wide), one dispatch forward (max, sum of exps, write) and one backward
// (sum(dy * y), then dx).
import * as tf from "@tensorflow/tfjs-core";
import type { Program, Uniform, WebgpuBackendLike } from "./webgpu-program.js";

const GROUP = 64;
const MAX_GROUPS = 65535;

/** A program writing outputShape with one invocation per row of `s` (`index` is the row). */
function rowProgram(key: string, outputShape: number[], inputs: string[], body: string): Program {
  const s = outputShape[outputShape.length - 1] as number;
  const size = outputShape.reduce((a, b) => a * b, 1);
  const rows = s === 0 ? 0 : size / s;
  const groups = Math.max(1, Math.ceil(rows / GROUP));
  const x = Math.min(groups, MAX_GROUPS);
  return {
    outputShape,
    shaderKey: `mmc_softmax_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [x, Math.ceil(groups / x), 1],
    workgroupSize: [GROUP, 1, 1],
    variableNames: inputs,
    uniforms: "rows : i32, t : i32, s : i32, scale : f32, causal : i32,",
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.rows) {
          let s = uniforms.s;
          let o = index * s;
          ${body}
        }
      }`,
  };
}

function uniforms(shape: readonly number[], scale: number, causal: boolean): Uniform[] {
  const s = shape[shape.length - 1] as number;
  const t = shape[shape.length - 2] as number;
  const size = shape.reduce((a, b) => a * b, 1);
  return [
    { type: "int32", data: [s === 0 ? 0 : size / s] },
    { type: "int32", data: [t] },
    { type: "int32", data: [s] },
    { type: "float32", data: [scale] },
    { type: "int32", data: [causal ? 1 : 0] },
  ];
}

interface Attrs {
  scale: number;
  causal: boolean;
}

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { scale, causal } = attrs as unknown as Attrs;
  return (backend as WebgpuBackendLike).runWebGPUProgram(
    rowProgram(
      "fwd",
      [...x.shape],
      ["X"],
      `var n = s;
          if (uniforms.causal != 0) {
            n = clamp(index % uniforms.t + s - uniforms.t + 1, 0, s);
          }
          var m = -3.402823e38;
          for (var j = 0; j < n; j++) {
            m = max(m, uniforms.scale * X[o + j]);
          }
          var sum = 0.0;
          for (var j = 0; j < n; j++) {
            sum = sum + exp(uniforms.scale * X[o + j] - m);
          }
          for (var j = 0; j < s; j++) {
            var v = 0.0;
            if (j < n) {
              v = exp(uniforms.scale * X[o + j] - m) / sum;
            }
            setOutputAtIndex(o + j, v);
          }`,
    ),
    [x],
    "float32",
    uniforms(x.shape, scale, causal),
  );
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
  const { scale, causal } = attrs as unknown as Attrs;
  return (backend as WebgpuBackendLike).runWebGPUProgram(
    rowProgram(
      "bwd",
      [...y.shape],
      ["DY", "Y"],
      `var dot = 0.0;
          for (var j = 0; j < s; j++) {
            dot = dot + DY[o + j] * Y[o + j];
          }
          for (var j = 0; j < s; j++) {
            setOutputAtIndex(o + j, uniforms.scale * Y[o + j] * (DY[o + j] - dot));
          }`,
    ),
    [dy, y],
    "float32",
    uniforms(y.shape, scale, causal),
  );
};

/** Registers the two kernels for webgpu under `names` (those of ops/fused-softmax.ts). */
export function registerWebgpuSoftmax(names: { forward: string; backward: string }): void {
  if (tf.getKernel(names.forward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.forward, backendName: "webgpu", kernelFunc: forward });
  if (tf.getKernel(names.backward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.backward, backendName: "webgpu", kernelFunc: backward });
}
