// Faster Slice and Unpack kernels for the wasm backend. The stock ones copy the WHOLE input out of
// the wasm heap for every slice (readSync), so unstacking n slices costs n full copies; these read
// the input through a heap view and copy only the slice. And an Identity that shares its input's
// buffer by reference count (as the cpu and webgpu backends' do) where the stock one copies it:
// every tensor a custom gradient saves for its backward goes through Identity (Engine.clone), 66
// copies a tiny step. No kernel writes into its inputs, so sharing is safe; values are identical.
// And a GatherV2 that copies whole rows (axis 0, the embedding lookup and every gatherRows) where
// the stock kernel moves one element at a time: [1,024 x 128] out of [260, 128] took 4.7-5.1 ms.
// Installed by selectBackend("wasm").
import * as tf from "@tensorflow/tfjs-core";

interface WasmBackendLike {
  incRef(dataId: tf.DataId): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--)
    out[i] = (out[i + 1] as number) * (shape[i + 1] as number);
  return out;
}

/** Copies x[begin : begin + size] into out; the last axis is copied as contiguous runs. */
function copySlice(
  x: Float32Array | Int32Array | Uint8Array,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0] as number;
    return;
  }
  const xs = strides(shape);
  const run = size[rank - 1] as number;
  const outer = size.slice(0, -1).reduce((a, b) => a * b, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < outer; r++) {
    let offset = begin[rank - 1] as number;
    for (let d = 0; d < rank - 1; d++)
      offset += ((begin[d] as number) + (idx[d] as number)) * (xs[d] as number);
    out.set(x.subarray(offset, offset + run), r * run);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (size[d] as number)) break;
      idx[d] = 0;
    }
  }
}

function sliceInfo(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after makeOutput: growing the heap detaches older views.
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  copySlice(xv, x.shape, begin, size, ov);
  return out;
}

let installed = false;
let sharing = true;
let gatherRows = true;

let rowGathers = 0;

/** How many gathers the row kernel has done (for tests: that it ran). */
export function wasmRowGathers(): number {
  return rowGathers;
}

/** Whether wasm's GatherV2 copies rows (the default once installed) or runs the stock kernel. */
export function setWasmGatherRows(on: boolean): void {
  gatherRows = on;
}

/**
 * x gathered along axis 0 by `indices` as whole-row copies, or undefined where the stock kernel
 * should run (another axis, batch dims, a dtype other than float32 and int32). An index out of
 * range is an error, as on cpu.
 */
function gatherRowsInfo(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  indices: tf.TensorInfo,
  axis: number,
  batchDims: number,
): tf.TensorInfo | undefined {
  if (axis !== 0 || batchDims !== 0 || x.shape.length < 1) return undefined;
  if ((x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32") return undefined;
  const rows = x.shape[0] as number;
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const idx = backend.typedArrayFromHeap(indices);
  // The stock kernel reads outside the heap for such an index (a wasm trap); the cpu kernel's
  // error instead.
  for (const i of idx)
    if (i < 0 || i >= rows)
      throw new Error(`GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  // Views are taken after makeOutput: growing the heap detaches older views.
  const xv = backend.typedArrayFromHeap(x);
  const iv = backend.typedArrayFromHeap(indices);
  const ov = backend.typedArrayFromHeap(out);
  for (let n = 0; n < iv.length; n++) {
    const r = iv[n] as number;
    ov.set(xv.subarray(r * row, (r + 1) * row), n * row);
  }
  rowGathers++;
  return out;
}

/**
 * Whether wasm's Identity shares its input's buffer (the default once installed) or copies it
 * as the stock kernel does: the copying form is kept for tests and benchmarks to compare with.
 */
export function setWasmIdentitySharing(on: boolean): void {
  sharing = on;
}

/**
 * Replaces the wasm Slice, Unpack, Identity and GatherV2 kernels (numeric dtypes; strings keep
 * the stock ones).
 */
export function installWasmKernels(): void {
  if (installed || tf.getBackend() !== "wasm") return;
  const stockSlice = tf.getKernel("Slice", "wasm");
  const stockUnpack = tf.getKernel("Unpack", "wasm");
  const stockIdentity = tf.getKernel("Identity", "wasm");
  const stockGather = tf.getKernel("GatherV2", "wasm");
  if (
    stockSlice === undefined ||
    stockUnpack === undefined ||
    stockIdentity === undefined ||
    stockGather === undefined
  )
    return;
  installed = true;
  // Each keeps the stock kernel's setup, which binds the fallback to each new backend's module.
  tf.unregisterKernel("GatherV2", "wasm");
  tf.registerKernel({
    kernelName: "GatherV2",
    backendName: "wasm",
    setupFunc: stockGather.setupFunc,
    disposeFunc: stockGather.disposeFunc,
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
      const a = tf.util.parseAxisParam(axis, x.shape)[0] as number;
      const out = gatherRows
        ? gatherRowsInfo(args.backend as unknown as WasmBackendLike, x, indices, a, batchDims ?? 0)
        : undefined;
      return out ?? stockGather.kernelFunc(args);
    },
  });
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    setupFunc: stockIdentity.setupFunc,
    disposeFunc: stockIdentity.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs["x"] as tf.TensorInfo;
      if (!sharing || x.dtype === "string") return stockIdentity.kernelFunc(args);
      (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({
    kernelName: "Slice",
    backendName: "wasm",
    setupFunc: stockSlice.setupFunc,
    disposeFunc: stockSlice.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs["x"] as tf.TensorInfo;
      if (x.dtype === "string") return stockSlice.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      return sliceInfo(args.backend as unknown as WasmBackendLike, x, b, s);
    },
  });
  tf.unregisterKernel("Unpack", "wasm");
  tf.registerKernel({
    kernelName: "Unpack",
    backendName: "wasm",
    setupFunc: stockUnpack.setupFunc,
    disposeFunc: stockUnpack.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs["value"] as tf.TensorInfo;
      if (x.dtype === "string") return stockUnpack.kernelFunc(args);
      let axis = (args.attrs as unknown as { axis: number }).axis;
      if (axis < 0) axis += x.shape.length;
      const outShape = x.shape.filter((_, i) => i !== axis);
      const size = x.shape.slice();
      size[axis] = 1;
      const outs: tf.TensorInfo[] = [];
      for (let i = 0; i < (x.shape[axis] as number); i++) {
        const begin = x.shape.map((_, d) => (d === axis ? i : 0));
        const o = sliceInfo(args.backend as unknown as WasmBackendLike, x, begin, size);
        outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
      }
      return outs;
    },
  });
}
