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
let swapOn = true;
let installed = false;

/**
 * The [k, n] each tensor was given to tfjs's stock XNNPACK path with, as weights. tfjs caches
 * XNNPACK's operator (its packed copy of the weights) on the weights' tensor id alone, until the
 * tensor is disposed, and reuses it whatever shape a later product passes: the same data reshaped
 * between two products (one id) would get the first packing. Every product passes through this
 * kernel, so one seen with another shape runs on a fresh id instead. Keyed by the data id object,
 * so an entry goes with its tensor.
 */
const packedAs = new WeakMap<tf.DataId, string>();

/** An id aliasing a 2-D transposed a, kept so that XNNPACK's packing of it is reused. */
interface PackedAlias {
  readonly dataId: tf.DataId;
  readonly key: string;
  readonly id: number;
  readonly wasm: WasmModule;
}

/**
 * The newest aliases kept packed: the weight gradients sharing one input (q, k and v; gate and
 * up) come one after another in the backward pass, and two bound what the packed copies hold.
 */
const KEEP_PACKED = 2;
let packedAliases: PackedAlias[] = [];

function findAlias(backend: WasmBackendLike, a: tf.TensorInfo, key: string) {
  return packedAliases.find(
    (p) => p.dataId === a.dataId && p.key === key && p.wasm === backend.wasm,
  );
}

/** The kept alias of a (made now if there is none), the oldest beyond KEEP_PACKED dropped. */
function aliasOf(backend: WasmBackendLike, a: tf.TensorInfo, key: string, size: number): number {
  const kept = findAlias(backend, a, key);
  if (kept !== undefined) return kept.id;
  const id = backend.dataIdNextNumber++;
  backend.wasm.tfjs.registerTensor(id, size, backend.dataIdMap.get(a.dataId).memoryOffset);
  packedAliases.push({ dataId: a.dataId, key, id, wasm: backend.wasm });
  while (packedAliases.length > KEEP_PACKED) {
    const old = packedAliases[0] as PackedAlias;
    packedAliases = packedAliases.slice(1);
    // An alias of an earlier backend's module went with that module.
    if (old.wasm === backend.wasm) old.wasm.tfjs.disposeData(old.id);
  }
  return id;
}

let viaKernel = 0;
let swapped = 0;

/** How many products ran as their own transpose (for tests: that the swap ran). */
export function wasmSwappedProducts(): number {
  return swapped;
}

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

/** Whether products with a transposed a may run as their own transpose (swapPays; for benches). */
export function setWasmMatMulSwap(enabled: boolean): void {
  swapOn = enabled;
}

/** Whether the wasm products take transpose flags and batches at XNNPACK speed. */
export function wasmMatMulOn(): boolean {
  return on && installed;
}

function shapeBytes(rows: number, cols: number): Uint8Array {
  return new Uint8Array(new Int32Array([1, rows, cols]).buffer);
}

/**
 * Whether a product with a transposed a runs as its own transpose, C^T = B^T A (B A with a
 * transposed b). XNNPACK packs the second operand of a product (its weights) into its own layout
 * before it multiplies, single-threaded: for a [1024, 344] operand 0.93 ms against 2.57 ms for
 * the whole [128, 1024] x [1024, 344] product on one thread (V8 profile of the module), so about
 * 40% of a weight gradient x^T dy on two. The stored [k, m] of a transposed a is already the layout
 * tfjs's XNNPACK call takes as weights, so the swap packs a instead of b, transposes b only where
 * it is not transposed already, and transposes the [n, m] result into place. A 2-D a goes in on
 * an alias id that is kept (the newest KEEP_PACKED), and tfjs's operator cache keeps a packing
 * as long as its id: the weight gradients of q, k and v (and of gate and up) share their input
 * x, so x is packed once for all of them. Swapped where a packs no more than b does, or is
 * packed already, or b is transposed too.
 */
export function swapPays(
  p: ProductPlan,
  transposeA: boolean,
  transposeB: boolean,
  aPacked = false,
): boolean {
  if (!transposeA || !swapOn) return false;
  if (transposeB) return true; // no operand to transpose at all, against two
  if (p.batch === 1) return aPacked || p.m <= p.n;
  return p.m < p.n;
}

/** tf.matMul(a, b, true, transposeB) as C^T = B^T A per slice, each result transposed into place. */
function runSwapped(
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeB: boolean,
  p: ProductPlan,
): tf.TensorInfo {
  const { wasm } = backend;
  const product = productOf(wasm);
  const out = backend.makeOutput(p.outShape, "float32");
  const { m, k, n } = p;
  const ids = heapViews(backend);
  const heap = heapFloats(wasm);
  // b's slices as [n, k]: as stored with a transposed b, else transposed into scratch.
  const bScratch = transposeB ? 0 : wasm._malloc(p.batchB * n * k * 4) >>> 0;
  const cScratch = wasm._malloc(n * m * 4) >>> 0; // one slice of C^T, reused
  try {
    const aData = backend.dataIdMap.get(a.dataId);
    const bOff = backend.dataIdMap.get(b.dataId).memoryOffset;
    const outOff = backend.dataIdMap.get(out.dataId).memoryOffset;
    if (!transposeB)
      for (let s = 0; s < p.batchB; s++)
        transposeInto(heap(), bOff / 4 + s * k * n, k, n, heap(), bScratch / 4 + s * n * k);
    const bBase = transposeB ? bOff : bScratch;
    // An a shared by every slice is one id, so XNNPACK packs it once for all of them; a 2-D a
    // is a kept alias, packed once for the products that follow on it.
    const sharedA =
      p.batch === 1
        ? aliasOf(backend, a, `${k}x${m}`, k * m)
        : p.batchA === 1
          ? ids.view(aData.memoryOffset, k * m)
          : 0;
    const inShape = shapeBytes(n, k);
    const wShape = shapeBytes(k, m);
    for (let s = 0; s < p.batch; s++) {
      const aId = sharedA !== 0 ? sharedA : ids.view(aData.memoryOffset + s * k * m * 4, k * m);
      const bId = ids.view(bBase + (p.batchB === 1 ? 0 : s) * n * k * 4, n * k);
      const cId = ids.view(cScratch, n * m);
      product(bId, inShape, 3, aId, wShape, 3, 0, 0, cId);
      ids.drop(bId);
      ids.drop(cId);
      if (aId !== sharedA) ids.drop(aId);
      transposeInto(heap(), cScratch / 4, n, m, heap(), outOff / 4 + s * m * n);
    }
  } finally {
    ids.dropAll();
    if (bScratch !== 0) wasm._free(bScratch);
    wasm._free(cScratch);
  }
  viaKernel++;
  swapped++;
  return out;
}

/** Ids aliasing heap bytes for one kernel call, each dropped once used. */
function heapViews(backend: WasmBackendLike) {
  const { wasm } = backend;
  const live = new Set<number>();
  const drop = (id: number): void => {
    // Disposing an id drops XNNPACK's operator cached on it (its packed copy of the weights).
    wasm.tfjs.disposeData(id);
    live.delete(id);
  };
  return {
    view(offset: number, size: number): number {
      const id = backend.dataIdNextNumber++;
      wasm.tfjs.registerTensor(id, size, offset);
      live.add(id);
      return id;
    },
    drop,
    dropAll(): void {
      for (const id of [...live]) drop(id);
    },
  };
}

/**
 * A Float32Array over the heap, taken afresh whenever the heap has grown: the single-threaded
 * build's heap is a plain ArrayBuffer that growing detaches, and XNNPACK allocates (its packed
 * copy of the weights) inside each product, so no view is held across a product.
 */
function heapFloats(wasm: WasmModule): () => Float32Array {
  let heapView = new Float32Array(wasm.HEAPU8.buffer);
  return () => {
    if (heapView.buffer !== wasm.HEAPU8.buffer) heapView = new Float32Array(wasm.HEAPU8.buffer);
    return heapView;
  };
}

function runPlan(
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  p: ProductPlan,
): tf.TensorInfo {
  if (transposeA && swapOn) {
    const kept = p.batch === 1 && findAlias(backend, a, `${p.k}x${p.m}`) !== undefined;
    if (swapPays(p, transposeA, transposeB, kept)) return runSwapped(backend, a, b, transposeB, p);
  }
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
  const ids = heapViews(backend);
  const heap = heapFloats(wasm);
  try {
    const aOff = backend.dataIdMap.get(a.dataId).memoryOffset;
    const bOff = backend.dataIdMap.get(b.dataId).memoryOffset;
    const outOff = backend.dataIdMap.get(out.dataId).memoryOffset;
    for (let s = 0; s < bSlices; s++)
      transposeInto(heap(), bOff / 4 + s * n * k, n, k, heap(), bScratch / 4 + s * k * n);
    // A b shared by every slice is one id, so XNNPACK packs it once for all of them.
    const bBase = transposeB ? bScratch : bOff;
    const sharedB = p.batchB === 1 ? ids.view(bBase, k * n) : 0;
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
        aId = ids.view(aScratch, m * k);
      } else aId = ids.view(aOff + sa * m * k * 4, rows * k);
      const bId = sharedB !== 0 ? sharedB : ids.view(bBase + s * k * n * 4, k * n);
      const outId = ids.view(outOff + s * m * n * 4, rows * n);
      product(aId, aShape, 3, bId, bShape, 3, 0, 0, outId);
      ids.drop(aId);
      ids.drop(outId);
      if (bId !== sharedB) ids.drop(bId);
    }
  } finally {
    ids.dropAll();
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
      if (plan === undefined) return stock.kernelFunc(args);
      // A plain 2-D product is the stock kernel's XNNPACK path already, which packs b on its own
      // id: unless b was packed there with another shape (then on a fresh id, here).
      if (plan.batch === 1 && !transposeA && !transposeB) {
        const key = `${plan.k}x${plan.n}`;
        const seen = packedAs.get(b.dataId);
        if (seen === undefined || seen === key) {
          packedAs.set(b.dataId, key);
          return stock.kernelFunc(args);
        }
      }
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
