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

const GROUP = 64;
const MAX_GROUPS = 65535;

/**
 * A program with one invocation per output element (`index`, flat, guarded by `index < size`)
 * running `body`; `uniforms` declares the program's own uniforms ("name : i32," ...). The
 * workgroups spill into y when they pass WebGPU's 65,535 per dimension (tfjs's global index
 * counts them across x and y).
 */
export function flatProgram(
  key: string,
  outputShape: number[],
  inputs: string[],
  uniforms: string,
  body: string,
): Program {
  const size = outputShape.reduce((a, b) => a * b, 1);
  const groups = Math.max(1, Math.ceil(size / GROUP));
  const x = Math.min(groups, MAX_GROUPS);
  return {
    outputShape,
    shaderKey: `mmc_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [x, Math.ceil(groups / x), 1],
    workgroupSize: [GROUP, 1, 1],
    variableNames: inputs,
    uniforms,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}
