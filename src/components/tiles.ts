// High-resolution sub-images (a model's `tiles`), as LLaVA-NeXT's "AnyRes" and MM1.5 do it: an
// image is resized (aspect ratio kept) and padded to one of the declared grids of encoder-sized
// crops, split into those crops, and an overview of the whole image at the encoder's size goes
// with them. Pure arithmetic shared
// by the checker (how many tokens an image can take) and the data pipeline (which grid it takes).

/** One grid: `cols` crops across and `rows` down, written `"COLSxROWS"` (`"2x1"` is wide). */
export interface TileGrid {
  readonly cols: number;
  readonly rows: number;
}

/** A model's `tiles`, resolved: the grids in declared order and whether an overview comes first. */
export interface TilesConfig {
  readonly grids: readonly TileGrid[];
  readonly overview: boolean;
}

/** Crops one grid may hold; each crop runs the encoder once. */
export const MAX_CROPS = 64;
export const MAX_CROPS_WHY =
  "MM1.5 and LLaVA-NeXT use at most 9 or 10 crops, and each crop runs the encoder once";

/** Grids one `tiles` may list. */
export const MAX_GRIDS = 64;

/** `"2x1"` -> { cols: 2, rows: 1 }; undefined unless two whole numbers of at least 1 (no signs, no spaces). */
export function parseGrid(text: string): TileGrid | undefined {
  const m = /^([1-9][0-9]{0,5})x([1-9][0-9]{0,5})$/.exec(text);
  if (!m) return undefined;
  return { cols: Number(m[1]), rows: Number(m[2]) };
}

export function gridText(g: TileGrid): string {
  return `${g.cols}x${g.rows}`;
}

/** The most crops any declared grid holds. */
export function maxCrops(tiles: TilesConfig): number {
  return tiles.grids.reduce((m, g) => Math.max(m, g.cols * g.rows), 0);
}

/** Encoder passes an image takes at most: the largest grid's crops plus the overview. */
export function maxPasses(tiles: TilesConfig): number {
  return maxCrops(tiles) + (tiles.overview ? 1 : 0);
}

/** Encoder passes an image on `grid` takes. */
export function passesFor(tiles: TilesConfig, grid: TileGrid): number {
  return grid.cols * grid.rows + (tiles.overview ? 1 : 0);
}

/**
 * LLaVA-NeXT's `select_best_resolution` (llava/mm_utils.py; Hugging Face's LlavaNext image
 * processor has the same), computed as it computes it: for each grid, in declared order, its
 * resolution is W = cols x side by H = rows x side; scale = min(W / w, H / h) in double precision
 * and the image scaled to fit is trunc(w x scale) x trunc(h x scale) (Python's `int()` of the same
 * double products, so a product like 94 x (48 / 94) = 47.999... gives 47 there and here). The
 * effective resolution is that area, but at most w x h (enlarging adds no detail); the wasted
 * resolution is W x H minus the effective one. The grid with the largest effective resolution
 * wins; a tie goes to the smaller waste, and a tie in both to the grid declared first. (Where the
 * reference would find no grid, every effective resolution 0 for an extremely thin image, the
 * least wasteful grid is taken.) JavaScript numbers are the same IEEE doubles as Python floats,
 * so the choice is the reference's bit for bit, and data.py's.
 */
export function selectGrid(
  grids: readonly TileGrid[],
  side: number,
  width: number,
  height: number,
): TileGrid {
  let best: TileGrid | undefined;
  let bestEffective = -1;
  let bestWasted = Infinity;
  for (const g of grids) {
    const W = g.cols * side;
    const H = g.rows * side;
    const scale = Math.min(W / width, H / height);
    const dw = Math.trunc(width * scale);
    const dh = Math.trunc(height * scale);
    const effective = Math.min(dw * dh, width * height);
    const wasted = W * H - effective;
    if (effective > bestEffective || (effective === bestEffective && wasted < bestWasted)) {
      best = g;
      bestEffective = effective;
      bestWasted = wasted;
    }
  }
  if (best === undefined) throw new Error("internal: `tiles` has no grids");
  return best;
}

/** Where an image goes on its grid's canvas: its resized size and the top-left corner. */
export interface PadPlacement {
  /** The image resized to `width` x `height`, aspect ratio kept, fits the canvas. */
  readonly width: number;
  readonly height: number;
  /** Columns and rows of padding before it (the rest of the padding comes after). */
  readonly x: number;
  readonly y: number;
}

/**
 * LLaVA-NeXT's `resize_and_pad_image` geometry (llava/mm_utils.py; Hugging Face's
 * `get_patch_output_size` and `_pad_for_patching` agree): with scale_w = W / w and
 * scale_h = H / h in double precision, if scale_w < scale_h the width fills the canvas and the
 * height is min(ceil(h x scale_w), H), else the height fills it and the width is
 * min(ceil(w x scale_h), W). The double product can land just above a whole number, so the
 * reference makes a 19 x 19 image 337 x 336 on a 672 x 336 canvas where exact arithmetic gives
 * 336; this follows the reference. The image is pasted at ((W - width) // 2, (H - height) // 2):
 * an odd remainder puts the extra column or row of padding after it (right, bottom).
 */
export function padPlacement(
  width: number,
  height: number,
  canvasWidth: number,
  canvasHeight: number,
): PadPlacement {
  const scaleW = canvasWidth / width;
  const scaleH = canvasHeight / height;
  const w = scaleW < scaleH ? canvasWidth : Math.min(Math.ceil(width * scaleH), canvasWidth);
  const h = scaleW < scaleH ? Math.min(Math.ceil(height * scaleW), canvasHeight) : canvasHeight;
  return {
    width: w,
    height: h,
    x: Math.floor((canvasWidth - w) / 2),
    y: Math.floor((canvasHeight - h) / 2),
  };
}
