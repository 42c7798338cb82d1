// Encoder input from decoded pixels, as CLIP does it: the centred square crop resized to the
// encoder's side (area averaging to shrink, bilinear to enlarge), or with `resize: bicubic`
// CLIP's own order (Pillow's bicubic to the shortest edge, then the centre crop); alpha dropped,
// then per-channel (x / 255 - mean) / std, laid out channel-first [3, S, S]. With `fit: pad` the
// image is first pasted on a square filled with the mean colour (LLaVA-1.5's expand2square).
import type { RgbaImage } from "./image-decode.js";
import { resampleBicubic, shortestEdgeSize } from "./resample-bicubic.js";
import type { ImageOptions } from "./spec.js";

interface Taps {
  index: Int32Array;
  weight: Float32Array;
  /** Taps per output pixel. */
  width: number;
}

/**
 * The fill colour of `fit: pad`: the normalisation mean as 8-bit colour, `int(x * 255)` per
 * channel as LLaVA-1.5 computes it (Python's int truncates; the product is the same double). For
 * CLIP's mean it is (122, 116, 104).
 */
export function padColour(mean: readonly [number, number, number]): [number, number, number] {
  return [Math.trunc(mean[0] * 255), Math.trunc(mean[1] * 255), Math.trunc(mean[2] * 255)];
}

/**
 * LLaVA-1.5's `expand2square(img, background)`: a square image is returned as it is; otherwise
 * a canvas of side max(w, h) filled with `background` and the image pasted on it at
 * (0, (w - h) // 2) when it is wider than tall, ((h - w) // 2, 0) when taller (x, y offsets).
 */
export function expandToSquare(
  image: RgbaImage,
  background: readonly [number, number, number],
): RgbaImage {
  const { width: w, height: h } = image;
  if (w === h) return image;
  const side = Math.max(w, h);
  const x0 = w > h ? 0 : Math.floor((h - w) / 2);
  const y0 = w > h ? Math.floor((w - h) / 2) : 0;
  const data = new Uint8Array(side * side * 4);
  const [r, g, b] = background;
  for (let i = 0; i < side * side * 4; i += 4) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = 255;
  }
  for (let y = 0; y < h; y++)
    data.set(image.data.subarray(y * w * 4, (y + 1) * w * 4), ((y0 + y) * side + x0) * 4);
  return { width: side, height: side, data };
}

/**
 * Why `fit: pad` refuses an image, if it does: its square canvas (max(w, h) squared pixels) must
 * stay within the per-image pixel limit, as the decoded image itself must, so a thin image
 * cannot allocate gigabytes. Undefined when it fits, or with `fit: crop`.
 */
export function fitProblem(
  width: number,
  height: number,
  options: ImageOptions,
  megapixels: number,
): string | undefined {
  const side = Math.max(width, height);
  if (options.fit !== "pad" || side * side <= megapixels * 1e6) return undefined;
  return `image is ${width}x${height}; \`fit: pad\` makes it a ${side}x${side} square (${Math.ceil((side * side) / 1e6)} MP), over the ${megapixels} MP limit`;
}

export function preprocessImage(original: RgbaImage, options: ImageOptions): Float32Array {
  const s = options.size;
  const image =
    options.fit === "pad" ? expandToSquare(original, padColour(options.mean)) : original;
  if (options.resize === "bicubic") {
    // Hugging Face's CLIPImageProcessor: resize the shortest edge to S with Pillow's bicubic,
    // then crop S x S at ((w - S) // 2, (h - S) // 2); no fractional crop is ever needed. Only
    // the crop is resampled (a window of the resize, the same bytes), so a thin image's long
    // intermediate is never built.
    const [w, h] = shortestEdgeSize(image.width, image.height, s);
    const crop = { x: Math.floor((w - s) / 2), y: Math.floor((h - s) / 2), width: s, height: s };
    return normaliseBytes(resampleBicubic(image, w, h, undefined, crop), s, s, options);
  }
  const side = Math.min(image.width, image.height);
  const x0 = (image.width - side) / 2;
  const y0 = (image.height - side) / 2;
  return resizeRegion(image, { x0, y0, width: side, height: side }, s, s, options);
}

/** A source rectangle in pixels (fractional edges allowed). */
export interface Region {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

/**
 * `region` of `image` resized to `outW` x `outH` (each axis by area averaging when it shrinks,
 * bilinear when it grows, unless `resize` forces one; `bicubic` is Pillow's
 * `resize((outW, outH), Image.BICUBIC, box=region)`, bytes rounded after each pass as Pillow's
 * are) and normalised: [3, outH, outW].
 */
export function resizeRegion(
  image: RgbaImage,
  region: Region,
  outW: number,
  outH: number,
  options: ImageOptions,
): Float32Array {
  const { x0, y0 } = region;
  if (options.resize === "bicubic") {
    const box = { x0, y0, x1: x0 + region.width, y1: y0 + region.height };
    return normaliseBytes(resampleBicubic(image, outW, outH, box), outW, outH, options);
  }
  const modeFor = (length: number, out: number) =>
    options.resize === "auto" ? (length > out ? "area" : "bilinear") : options.resize;
  const taps = (start: number, length: number, out: number, limit: number) =>
    modeFor(length, out) === "area"
      ? areaTaps(start, length, out, limit)
      : bilinearTaps(start, length, out, limit);
  const tx = taps(x0, region.width, outW, image.width);
  const ty = taps(y0, region.height, outH, image.height);

  // Horizontal pass over every source row (rows outside the taps are skipped), then vertical.
  const rowUsed = new Uint8Array(image.height);
  for (let i = 0; i < ty.index.length; i++) if (ty.weight[i] !== 0) rowUsed[ty.index[i] ?? 0] = 1;
  const tmp = new Float32Array(image.height * outW * 3);
  const src = image.data;
  for (let y = 0; y < image.height; y++) {
    if (!rowUsed[y]) continue;
    const rowBase = y * image.width * 4;
    for (let ox = 0; ox < outW; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < tx.width; k++) {
        const t = ox * tx.width + k;
        const w = tx.weight[t] ?? 0;
        const p = rowBase + (tx.index[t] ?? 0) * 4;
        r += w * (src[p] ?? 0);
        g += w * (src[p + 1] ?? 0);
        b += w * (src[p + 2] ?? 0);
      }
      const o = (y * outW + ox) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }

  const out = new Float32Array(3 * outW * outH);
  const plane = outW * outH;
  const { scale, shift } = normalisation(options);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < ty.width; k++) {
        const t = oy * ty.width + k;
        const w = ty.weight[t] ?? 0;
        const o = ((ty.index[t] ?? 0) * outW + ox) * 3;
        r += w * (tmp[o] ?? 0);
        g += w * (tmp[o + 1] ?? 0);
        b += w * (tmp[o + 2] ?? 0);
      }
      const at = oy * outW + ox;
      out[at] = r * (scale[0] ?? 0) - (shift[0] ?? 0);
      out[plane + at] = g * (scale[1] ?? 0) - (shift[1] ?? 0);
      out[2 * plane + at] = b * (scale[2] ?? 0) - (shift[2] ?? 0);
    }
  }
  return out;
}

/** Per channel, (x / 255 - mean) / std computed as x * scale - shift, in every mode. */
function normalisation(options: ImageOptions): { scale: number[]; shift: number[] } {
  const { mean, std } = options;
  return {
    scale: [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])],
    shift: [mean[0] / std[0], mean[1] / std[1], mean[2] / std[2]],
  };
}

/** Interleaved RGB bytes [outH, outW, 3], normalised: [3, outH, outW]. */
function normaliseBytes(
  bytes: Uint8Array,
  outW: number,
  outH: number,
  options: ImageOptions,
): Float32Array {
  const plane = outW * outH;
  const out = new Float32Array(3 * plane);
  const { scale, shift } = normalisation(options);
  for (let c = 0; c < 3; c++) {
    const sc = scale[c] ?? 0;
    const sh = shift[c] ?? 0;
    for (let i = 0; i < plane; i++) out[c * plane + i] = (bytes[i * 3 + c] ?? 0) * sc - sh;
  }
  return out;
}

/** Each output pixel averages the source interval it covers, weighting partial pixels. */
function areaTaps(start: number, length: number, out: number, limit: number): Taps {
  const step = length / out;
  const width = Math.ceil(step) + 1;
  const index = new Int32Array(out * width);
  const weight = new Float32Array(out * width);
  for (let o = 0; o < out; o++) {
    const a = start + o * step;
    const b = a + step;
    let k = 0;
    for (let i = Math.floor(a); i < b && k < width; i++, k++) {
      const cover = Math.min(b, i + 1) - Math.max(a, i);
      index[o * width + k] = Math.min(Math.max(i, 0), limit - 1);
      weight[o * width + k] = cover / step;
    }
  }
  return { index, weight, width };
}

/** Two taps per output pixel, pixel centres aligned (half-pixel convention), edges clamped. */
function bilinearTaps(start: number, length: number, out: number, limit: number): Taps {
  const step = length / out;
  const index = new Int32Array(out * 2);
  const weight = new Float32Array(out * 2);
  for (let o = 0; o < out; o++) {
    const x = Math.min(Math.max(start + (o + 0.5) * step - 0.5, 0), limit - 1);
    const i = Math.floor(x);
    const f = x - i;
    index[o * 2] = i;
    index[o * 2 + 1] = Math.min(i + 1, limit - 1);
    weight[o * 2] = 1 - f;
    weight[o * 2 + 1] = f;
  }
  return { index, weight, width: 2 };
}
