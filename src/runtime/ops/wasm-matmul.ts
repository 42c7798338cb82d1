// A BatchMatMul for the wasm backend that sends every product to XNNPACK. tfjs's own kernel uses
// XNNPACK only for a 2-D product without transposes; a batched product or one with a transpose
// flag runs a scalar loop there, 10x slower (a [1024, 128] x [128, 344] product: 3.4 ms plain,
// 33.5 ms with transposeB). So the runtime used to flatten everything itself (ops/matmul.ts): an
// explicit Transpose kernel per transposed operand and unstack / per-slice product / stack for a
// batched one, which on a tiny step is 58 Transpose, 24 Unpack and 13 Pack kernels with their
// copies. This kernel instead works over heap offsets: each slice of a batched operand is
// registered with the wasm module as a tensor id aliasing its bytes (no copy), a transposed
// operand is transposed into a scratch buffer, and tfjs's XNNPACK entry (the module's
// BatchMatMul export with a 2-D, untransposed shape) runs on those ids, writing each slice's
// result straight into the output. The products are XNNPACK's as before, so the values are the
// same as the explicit path's to the bit. Installed by selectBackend("wasm").
import * as tf from "@tensorflow/tfjs-core";

interface WasmModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(offset: number): void;
  cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, offset: number): void;
    disposeData(id: number): void;
  };
}

interface WasmBackendLike {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type Product = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const products = new WeakMap<WasmModule, Product>();

/** The module's BatchMatMul export (per module: the threaded and single-threaded builds differ). */
function productOf(wasm: WasmModule): Product {
  let f = products.get(wasm);
  if (f === undefined) {
    const types = ["number", "array", "number", "number", "array", "number", "number", "number"];
    f = wasm.cwrap("BatchMatMul", null, [...types, "number"]) as Product;
    products.set(wasm, f);
  }
  return f;
}

/** How a product maps onto 2-D XNNPACK calls, or undefined where the stock kernel should run. */
export interface ProductPlan {
  /** Slices of the output; a's and b's slice counts are this or 1 (broadcast). */
  readonly batch: number;
  readonly batchA: number;
  readonly batchB: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly outShape: number[];
}

/** The plan for tf.matMul(a, b, transposeA, transposeB) on these shapes (undefined: stock). */
export function planProduct(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): ProductPlan | undefined {
  if (aShape.length < 2 || bShape.length < 2) return undefined;
  const ar = aShape.length;
  const br = bShape.length;
  const m = (transposeA ? aShape[ar - 1] : aShape[ar - 2]) as number;
  const k = (transposeA ? aShape[ar - 2] : aShape[ar - 1]) as number;
  const kb = (transposeB ? bShape[br - 1] : bShape[br - 2]) as number;
  const n = (transposeB ? bShape[br - 2] : bShape[br - 1]) as number;
  if (k !== kb) return undefined; // the stock kernel's error
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  // Broadcasting only by a whole operand of one slice: then the slices line up with the output's.
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  if (m === 0 || n === 0 || k === 0 || batch === 0) return undefined;
  return { batch, batchA, batchB, m, k, n, outShape: [...outer, m, n] };
}

/**
 * dst[dstOff + j * rows + i] = src[srcOff + i * cols + j]: a [rows, cols] block transposed, in
 * 4 x 4 tiles held in locals (3x faster than element by element with 32 x 32 blocking: a
 * [1024, 128] block in 0.11 ms against 0.35), the edges element by element.
 */
export function transposeInto(
  src: Float32Array,
  srcOff: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstOff: number,
): void {
  const r4 = rows - (rows % 4);
  const c4 = cols - (cols % 4);
  const r2 = 2 * rows;
  const r3 = 3 * rows;
  for (let i = 0; i < r4; i += 4) {
    const a = srcOff + i * cols;
    const b = a + cols;
    const c = b + cols;
    const d = c + cols;
    for (let j = 0; j < c4; j += 4) {
      const o = dstOff + j * rows + i;
      const a0 = src[a + j] as number;
      const a1 = src[a + j + 1] as number;
      const a2 = src[a + j + 2] as number;
      const a3 = src[a + j + 3] as number;
      const b0 = src[b + j] as number;
      const b1 = src[b + j + 1] as number;
      const b2 = src[b + j + 2] as number;
      const b3 = src[b + j + 3] as number;
      const c0 = src[c + j] as number;
      const c1 = src[c + j + 1] as number;
      const c2 = src[c + j + 2] as number;
      const c3 = src[c + j + 3] as number;
      const d0 = src[d + j] as number;
      const d1 = src[d + j + 1] as number;
      const d2 = src[d + j + 2] as number;
      const d3 = src[d + j + 3] as number;
      dst[o] = a0;
      dst[o + 1] = b0;
      dst[o + 2] = c0;
      dst[o + 3] = d0;
      dst[o + rows] = a1;
      dst[o + rows + 1] = b1;
      dst[o + rows + 2] = c1;
      dst[o + rows + 3] = d1;
      dst[o + r2] = a2;
      dst[o + r2 + 1] = b2;
      dst[o + r2 + 2] = c2;
      dst[o + r2 + 3] = d2;
      dst[o + r3] = a3;
      dst[o + r3 + 1] = b3;
      dst[o + r3 + 2] = c3;
      dst[o + r3 + 3] = d3;
    }
  }
  // The last cols % 4 columns of the tiled rows, then the last rows % 4 rows whole.
  for (let i = 0; i < rows; i++)
    for (let j = i < r4 ? c4 : 0; j < cols; j++)
      dst[dstOff + j * rows + i] = src[srcOff + i * cols + j] as number;
}

let on = true;
let installed = false;
let viaKernel = 0;

/** How many products this kernel has run (for tests: that it ran). */
export function wasmKernelProducts(): number {
  return viaKernel;
}

/**
 * Whether wasm's BatchMatMul takes batched and transposed products to XNNPACK (the default once
 * installed), or they run tfjs's stock kernel and ops/matmul.ts flattens them itself.
 */
export function setWasmMatMul(enabled: boolean): void {
  on = enabled;
}

/** Whether the wasm products take transpose flags and batches at XNNPACK speed. */
export function wasmMatMulOn(): boolean {
  return on && installed;
}

function shapeBytes(rows: number, cols: number): Uint8Array {
  return new Uint8Array(new Int32Array([1, rows, cols]).buffer);
}

function runPlan(
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  p: ProductPlan,
): tf.TensorInfo {
  const { wasm } = backend;
  const product = productOf(wasm);
  const out = backend.makeOutput(p.outShape, "float32");
  const { m, k, n } = p;
  // One call for the whole batch where b is shared and a needs no transpose: a as [batch * m, k].
  const merged = p.batchB === 1 && !transposeA && p.batchA === p.batch;
  const calls = merged ? 1 : p.batch;
  const rows = merged ? p.batch * m : m;
  // Scratch for transposed operands: one a slice (reused per call) and b's transposed slices.
  const bSlices = transposeB ? p.batchB : 0;
  const aScratch = transposeA ? wasm._malloc(m * k * 4) >>> 0 : 0;
  const bScratch = bSlices > 0 ? wasm._malloc(bSlices * k * n * 4) >>> 0 : 0;
  const live = new Set<number>();
  const view = (offset: number, size: number): number => {
    const id = backend.dataIdNextNumber++;
    wasm.tfjs.registerTensor(id, size, offset);
    live.add(id);
    return id;
  };
  // Disposing an id drops XNNPACK's operator cached on it (its packed copy of b).
  const drop = (id: number): void => {
    wasm.tfjs.disposeData(id);
    live.delete(id);
  };
  try {
    const aOff = backend.dataIdMap.get(a.dataId).memoryOffset;
    const bOff = backend.dataIdMap.get(b.dataId).memoryOffset;
    const outOff = backend.dataIdMap.get(out.dataId).memoryOffset;
    // The single-threaded build's heap is a plain ArrayBuffer that growing detaches, and XNNPACK
    // allocates (its packed copy of b) inside each product: a view is taken afresh before every
    // use, never held across a product.
    let heapView = new Float32Array(wasm.HEAPU8.buffer);
    const heap = (): Float32Array => {
      if (heapView.buffer !== wasm.HEAPU8.buffer) heapView = new Float32Array(wasm.HEAPU8.buffer);
      return heapView;
    };
    for (let s = 0; s < bSlices; s++)
      transposeInto(heap(), bOff / 4 + s * n * k, n, k, heap(), bScratch / 4 + s * k * n);
    // A b shared by every slice is one id, so XNNPACK packs it once for all of them.
    const bBase = transposeB ? bScratch : bOff;
    const sharedB = p.batchB === 1 ? view(bBase, k * n) : 0;
    const aShape = shapeBytes(rows, k);
    const bShape = shapeBytes(k, n);
    let transposed = -1; // the a slice now in aScratch
    for (let s = 0; s < calls; s++) {
      const sa = p.batchA === 1 ? 0 : s;
      let aId: number;
      if (transposeA) {
        if (transposed !== sa) {
          const h = heap();
          transposeInto(h, aOff / 4 + sa * k * m, k, m, h, aScratch / 4);
        }
        transposed = sa;
        aId = view(aScratch, m * k);
      } else aId = view(aOff + sa * m * k * 4, rows * k);
      const bId = sharedB !== 0 ? sharedB : view(bBase + s * k * n * 4, k * n);
      const outId = view(outOff + s * m * n * 4, rows * n);
      product(aId, aShape, 3, bId, bShape, 3, 0, 0, outId);
      drop(aId);
      drop(outId);
      if (bId !== sharedB) drop(bId);
    }
  } finally {
    for (const id of [...live]) drop(id);
    if (aScratch !== 0) wasm._free(aScratch);
    if (bScratch !== 0) wasm._free(bScratch);
  }
  viaKernel++;
  return out;
}

/** Replaces the wasm BatchMatMul kernel (float32; anything else keeps the stock one). */
export function installWasmMatMul(): void {
  if (installed || tf.getBackend() !== "wasm") return;
  const stock = tf.getKernel("BatchMatMul", "wasm");
  if (stock === undefined) return;
  installed = true;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    // The stock kernel's setup binds its export to each new backend's module (a second backend,
    // e.g. the threaded build after the single-threaded one, would call into a disposed module).
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as {
        transposeA: boolean;
        transposeB: boolean;
      };
      const plan =
        on && a.dtype === "float32" && b.dtype === "float32"
          ? planProduct(a.shape, b.shape, transposeA, transposeB)
          : undefined;
      // A plain 2-D product is the stock kernel's XNNPACK path already.
      if (plan === undefined || (plan.batch === 1 && !transposeA && !transposeB))
        return stock.kernelFunc(args);
      return runPlan(
        args.backend as unknown as WasmBackendLike,
        a,
        b,
        transposeA,
        transposeB,
        plan,
      );
    },
  });
}
