// Encoder input of a tiled model (`tiles`, src/components/tiles.ts): the grid that fits the image
// best (LLaVA-NeXT's rule), the whole image resized to that grid's resolution and cut into
// encoder-sized crops, with an overview (the whole image resized to one crop) in front.
import { selectGrid, type TileGrid, type TilesConfig } from "../../components/tiles.js";
import type { RgbaImage } from "./image-decode.js";
import { resizeRegion } from "./image-preprocess.js";
import type { ImageOptions } from "./spec.js";

export interface TiledImage {
  readonly grid: TileGrid;
  /** Encoder passes: the overview (if any), then the crops. */
  readonly passes: number;
  /** [passes, 3, S, S] channel-first, normalised: the overview first, then the crops row by row. */
  readonly pixels: Float32Array;
}

/**
 * The whole image (no centre crop) is stretched to cols x S by rows x S, normalised, and cut
 * into S x S crops, left to right and top to bottom: crop k is the cell in column k mod cols and
 * row floor(k / cols) of the resized image. The overview is the whole image stretched to S x S.
 */
export function tileImage(image: RgbaImage, tiles: TilesConfig, options: ImageOptions): TiledImage {
  const s = options.size;
  const grid = selectGrid(tiles.grids, s, image.width, image.height);
  const whole = { x0: 0, y0: 0, width: image.width, height: image.height };
  const W = grid.cols * s;
  const H = grid.rows * s;
  const resized = resizeRegion(image, whole, W, H, options);
  const crops = grid.cols * grid.rows;
  const passes = crops + (tiles.overview ? 1 : 0);
  const per = 3 * s * s;
  const pixels = new Float32Array(passes * per);
  let at = 0;
  if (tiles.overview) {
    pixels.set(resizeRegion(image, whole, s, s, options), 0);
    at = per;
  }
  for (let k = 0; k < crops; k++) {
    const cx = (k % grid.cols) * s;
    const cy = Math.floor(k / grid.cols) * s;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < s; y++) {
        const from = c * W * H + (cy + y) * W + cx;
        pixels.set(resized.subarray(from, from + s), at + c * s * s + y * s);
      }
    }
    at += per;
  }
  return { grid, passes, pixels };
}

/** Encoder passes held by one image part's pixels ([passes, 3, S, S]). */
export function passesOf(pixels: Float32Array, size: number): number {
  return Math.max(1, Math.round(pixels.length / (3 * size * size)));
}
