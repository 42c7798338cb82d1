// Encoder input of a tiled model (`tiles`, src/components/tiles.ts), as LLaVA-NeXT's
// `process_anyres_image` does it: the grid that fits the image best (`select_best_resolution`),
// the whole image resized keeping its aspect ratio to fit that grid's resolution and padded with
// black to fill it (`resize_and_pad_image`), cut into encoder-sized crops, with an overview (the
// whole image resized to one crop, not padded) in front.
import {
  padPlacement,
  selectGrid,
  type TileGrid,
  type TilesConfig,
} from "../../components/tiles.js";
import type { RgbaImage } from "./image-decode.js";
import { preprocessImage, resizeRegion } from "./image-preprocess.js";
import type { ImageOptions } from "./spec.js";

export interface TiledImage {
  readonly grid: TileGrid;
  /** Encoder passes: the overview (if any), then the crops. */
  readonly passes: number;
  /** [passes, 3, S, S] channel-first, normalised: the overview first, then the crops row by row. */
  readonly pixels: Float32Array;
}

/**
 * The normalised value of a black pixel (0, 0, 0) per channel, as resizeRegion normalises: the
 * padding LLaVA-NeXT pastes the image onto is black before normalisation.
 */
export function padValues(options: ImageOptions): [number, number, number] {
  const value = (c: 0 | 1 | 2) =>
    Math.fround(0 * (1 / (255 * options.std[c])) - options.mean[c] / options.std[c]);
  return [value(0), value(1), value(2)];
}

/**
 * The whole image (no centre crop) is resized keeping its aspect ratio to fit cols x S by
 * rows x S (padPlacement: LLaVA-NeXT's rounding), pasted onto a black canvas of that size at
 * LLaVA-NeXT's place (centred, an odd pixel of padding after it), normalised, and cut into S x S
 * crops, left to right and top to bottom: crop k is the cell in column k mod cols and row
 * floor(k / cols). The overview is the whole image stretched to S x S (LLaVA-NeXT resizes it
 * without padding). Resampling is resizeRegion's: by default area to shrink and bilinear to
 * enlarge; with `resize: bicubic`, Pillow's bicubic, which LLaVA-NeXT's `image.resize` uses.
 */
export function tileImage(image: RgbaImage, tiles: TilesConfig, options: ImageOptions): TiledImage {
  // The checker refuses `fit: pad` with `tiles` (MM5021): LLaVA-NeXT pads to the grid instead.
  if (options.fit === "pad") throw new Error("`fit: pad` does not apply to tiled images");
  const s = options.size;
  const grid = selectGrid(tiles.grids, s, image.width, image.height);
  const whole = { x0: 0, y0: 0, width: image.width, height: image.height };
  const W = grid.cols * s;
  const H = grid.rows * s;
  const at = padPlacement(image.width, image.height, W, H);
  const resized = resizeRegion(image, whole, at.width, at.height, options); // [3, h, w]
  const pad = padValues(options);
  const canvas = new Float32Array(3 * W * H); // [3, H, W]
  for (let c = 0; c < 3; c++) {
    canvas.fill(pad[c] as number, c * W * H, (c + 1) * W * H);
    for (let y = 0; y < at.height; y++) {
      const from = c * at.width * at.height + y * at.width;
      canvas.set(resized.subarray(from, from + at.width), c * W * H + (at.y + y) * W + at.x);
    }
  }
  const crops = grid.cols * grid.rows;
  const passes = crops + (tiles.overview ? 1 : 0);
  const per = 3 * s * s;
  const pixels = new Float32Array(passes * per);
  let out = 0;
  if (tiles.overview) {
    pixels.set(resizeRegion(image, whole, s, s, options), 0);
    out = per;
  }
  for (let k = 0; k < crops; k++) {
    const cx = (k % grid.cols) * s;
    const cy = Math.floor(k / grid.cols) * s;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < s; y++) {
        const from = c * W * H + (cy + y) * W + cx;
        pixels.set(canvas.subarray(from, from + s), out + c * s * s + y * s);
      }
    }
    out += per;
  }
  return { grid, passes, pixels };
}

/**
 * What the encoder reads of a decoded image, the one entry point of training, `mmc generate` and
 * `mmc eval`: a tiled model's overview and crops ([passes, 3, S, S]), else the square (the
 * centred crop, or with `fit: pad` the padded square) resized and normalised ([3, S, S]).
 */
export function encoderPixels(image: RgbaImage, options: ImageOptions): Float32Array {
  return options.tiles
    ? tileImage(image, options.tiles, options).pixels
    : preprocessImage(image, options);
}

/** Encoder passes held by one image part's pixels ([passes, 3, S, S]). */
export function passesOf(pixels: Float32Array, size: number): number {
  return Math.max(1, Math.round(pixels.length / (3 * size * size)));
}
