// The shapes of tfjs-backend-webgpu's program runner that the WGSL kernels (webgpu-norm.ts,
// webgpu-adamw.ts) use, as plain types: nothing here imports the optional webgpu package.
import type * as tf from "@tensorflow/tfjs-core";

/** The members of tfjs-backend-webgpu's WebGPUProgram the kernels set. */
export interface Program {
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number];
  readonly variableNames: string[];
  readonly uniforms: string;
  readonly size: true;
  getUserCode(): string;
}

export type Uniform = { type: "int32" | "float32"; data: number[] };

/** The webgpu backend as the kernels call it. */
export interface WebgpuBackendLike {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: "float32",
    uniforms: Uniform[],
  ): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}
