// Reading inputs and writing outputs of a custom kernel in a synchronous backend's own memory: the
// wasm heap (views over it) or the cpu backend's typed arrays. The fused kernels (fused-adamw.ts,
// fused-norm.ts) loop over these in JS, one dispatch for work tfjs would split into many.
import type * as tf from "@tensorflow/tfjs-core";

export type HostArray = Float32Array | Int32Array | Uint8Array;

/** Reading inputs and making outputs in a synchronous backend's memory. */
export interface HostMemory {
  /** Allocates an output; every view taken before it may be stale (the wasm heap can grow). */
  alloc(shape: readonly number[]): tf.TensorInfo;
  view(t: tf.TensorInfo): HostArray;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): HostArray;
}

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

export function hostMemory(backendName: string, backend: unknown): HostMemory {
  if (backendName === "wasm") {
    const b = backend as WasmBackendLike;
    return {
      alloc: (shape) => b.makeOutput([...shape], "float32"),
      view: (t) => b.typedArrayFromHeap(t),
    };
  }
  const b = backend as CpuBackendLike;
  return {
    alloc: (shape) =>
      b.makeTensorInfo([...shape], "float32", new Float32Array(shape.reduce((a, d) => a * d, 1))),
    view: (t) => b.data.get(t.dataId).values as HostArray,
  };
}

/** The float32 inputs `keys` of kernel `kernel`, in order; a missing or other input is a bug. */
export function float32Inputs(
  kernel: string,
  inputs: tf.NamedTensorInfoMap,
  keys: readonly string[],
): tf.TensorInfo[] {
  return keys.map((k) => {
    const t = inputs[k];
    if (t === undefined) throw new Error(`${kernel}: input \`${k}\` is missing`);
    if (t.dtype !== "float32") throw new Error(`${kernel}: input \`${k}\` is ${t.dtype}`);
    return t;
  });
}
