// Pillow's bicubic resize of 8-bit RGB (`Image.resize(size, Image.BICUBIC, box)`), reproduced to
// the byte: the same separable two passes (horizontal first, over only the rows the vertical pass
// reads), the same support and tap bounds, fixed-point coefficients of 22 fractional bits, and
// rounding and clipping to uint8 after each pass. Written from the arithmetic of Pillow's
// src/libImaging/Resample.c (ImagingResample); checked against Pillow itself in the tests.
import type { RgbaImage } from "./image-decode.js";

/** Fractional bits of the fixed-point coefficients (Pillow's PRECISION_BITS, 32 - 8 - 2). */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** A source box in pixels, as Pillow's `box`: left, upper, right, lower (fractions allowed). */
export interface ResampleBox {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

interface Coefficients {
  /** Per output pixel: the first source pixel read and how many are read. */
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Fixed-point weights, `stride` per output pixel (only `count` of them used). */
  readonly weights: Int32Array;
  readonly stride: number;
}

/** Keys' cubic convolution kernel with a = -0.5 (support 2), as Pillow writes it. */
function bicubic(t: number): number {
  const x = t < 0 ? -t : t;
  if (x < 1) return (1.5 * x - 2.5) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * -0.5;
  return 0;
}

/**
 * The taps of one axis, `in0`..`in1` of `inSize` source pixels onto `outSize` pixels, for the
 * output pixels `from` .. `from + n - 1`. Pillow keeps the box in single precision (its
 * `float box[4]`) and subtracts the edges in single precision.
 */
function coefficients(
  inSize: number,
  in0: number,
  in1: number,
  outSize: number,
  from: number,
  n: number,
): Coefficients {
  const lo = Math.fround(in0);
  const scale = Math.fround(Math.fround(in1) - lo) / outSize;
  const filterScale = scale < 1 ? 1 : scale; // widen the kernel when shrinking (antialiasing)
  const support = 2 * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const inverse = 1 / filterScale;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * stride);
  const w = new Float64Array(stride);
  for (let i = 0; i < n; i++) {
    const center = lo + (from + i + 0.5) * scale;
    // C's (int) cast truncates toward zero; the clamps then keep the taps inside the image.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const taps = Math.max(xmax - xmin, 0);
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      w[k] = bicubic((k + xmin - center + 0.5) * inverse);
      sum += w[k] ?? 0;
    }
    for (let k = 0; k < taps; k++) {
      const v = sum !== 0 ? (w[k] ?? 0) / sum : (w[k] ?? 0);
      weights[i * stride + k] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    first[i] = xmin;
    count[i] = taps;
  }
  return { first, count, weights, stride };
}

/** A fixed-point sum back to a byte: Pillow's clip8 (shift out the fraction, clamp to 0..255). */
function clip8(sum: number): number {
  const v = Math.floor(sum / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Output pixels `x`, `y` .. `x + width - 1`, `y + height - 1` of a resize. */
export interface OutputWindow {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * `box` of `image` (alpha ignored) resized to `outW` x `outH` with Pillow's bicubic filter:
 * interleaved RGB bytes, equal to `np.array(im.convert("RGB").resize((outW, outH),
 * Image.BICUBIC, box))`, or to its `window` (then [window.height, window.width, 3]). Each output
 * pixel depends only on its own taps, so a window is computed alone, exactly as in the whole:
 * CLIP's centre crop of a very thin image never builds the long intermediate.
 */
export function resampleBicubic(
  image: RgbaImage,
  outW: number,
  outH: number,
  box: ResampleBox = { x0: 0, y0: 0, x1: image.width, y1: image.height },
  window: OutputWindow = { x: 0, y: 0, width: outW, height: outH },
): Uint8Array {
  const fx0 = Math.fround(box.x0);
  const fy0 = Math.fround(box.y0);
  // Pillow's own tests for "is a pass needed" (it compares the box's far edge with the output
  // size); a pass not needed is the identity, as Pillow's copy is.
  const needH = outW !== image.width || fx0 !== 0 || Math.fround(box.x1) !== outW;
  const needV = outH !== image.height || fy0 !== 0 || Math.fround(box.y1) !== outH;
  const { width: ww, height: wh } = window;
  const cv = needV ? coefficients(image.height, box.y0, box.y1, outH, window.y, wh) : undefined;
  const ch = needH ? coefficients(image.width, box.x0, box.x1, outW, window.x, ww) : undefined;
  const src = image.data;

  // The horizontal pass reads only the rows the vertical pass uses: rowFirst .. rowEnd - 1.
  const rowFirst = cv ? (cv.first[0] ?? 0) : window.y;
  const rowEnd = cv ? (cv.first[wh - 1] ?? 0) + (cv.count[wh - 1] ?? 0) : window.y + wh;
  const rows = new Uint8Array(Math.max(rowEnd - rowFirst, 0) * ww * 3); // [rows, ww, 3]
  for (let y = rowFirst; y < rowEnd; y++) {
    const line = y * image.width * 4;
    for (let o = 0; o < ww; o++) {
      const q = ((y - rowFirst) * ww + o) * 3;
      if (!ch) {
        const p = line + (window.x + o) * 4;
        rows[q] = src[p] ?? 0;
        rows[q + 1] = src[p + 1] ?? 0;
        rows[q + 2] = src[p + 2] ?? 0;
        continue;
      }
      const x0 = ch.first[o] ?? 0;
      const n = ch.count[o] ?? 0;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let k = 0; k < n; k++) {
        const wk = ch.weights[o * ch.stride + k] ?? 0;
        const p = line + (x0 + k) * 4;
        r += (src[p] ?? 0) * wk;
        g += (src[p + 1] ?? 0) * wk;
        b += (src[p + 2] ?? 0) * wk;
      }
      rows[q] = clip8(r);
      rows[q + 1] = clip8(g);
      rows[q + 2] = clip8(b);
    }
  }
  if (!cv) return rows;

  const out = new Uint8Array(wh * ww * 3);
  for (let o = 0; o < wh; o++) {
    const y0 = (cv.first[o] ?? 0) - rowFirst;
    const n = cv.count[o] ?? 0;
    for (let x = 0; x < ww; x++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let k = 0; k < n; k++) {
        const wk = cv.weights[o * cv.stride + k] ?? 0;
        const p = ((y0 + k) * ww + x) * 3;
        r += (rows[p] ?? 0) * wk;
        g += (rows[p + 1] ?? 0) * wk;
        b += (rows[p + 2] ?? 0) * wk;
      }
      const q = (o * ww + x) * 3;
      out[q] = clip8(r);
      out[q + 1] = clip8(g);
      out[q + 2] = clip8(b);
    }
  }
  return out;
}

/**
 * CLIP's resize (Hugging Face's CLIPImageProcessor, `shortest_edge`): the shorter side becomes
 * `side`, the longer `int(side * long / short)`; the result's width and height.
 */
export function shortestEdgeSize(width: number, height: number, side: number): [number, number] {
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const scaled = Math.trunc((side * long) / short);
  return width <= height ? [side, scaled] : [scaled, side];
}
