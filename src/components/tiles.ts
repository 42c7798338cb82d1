// High-resolution sub-images (a model's `tiles`), as LLaVA-NeXT's "AnyRes" and MM1.5 do it: an
// image is resized to one of the declared grids of encoder-sized crops, split into those crops,
// and an overview of the whole image at the encoder's size goes with them. Pure arithmetic shared
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
 * LLaVA-NeXT's `select_best_resolution`, in exact integer arithmetic. For each grid, in declared
 * order, its resolution is W = cols x side by H = rows x side; the image (w x h) scaled to fit
 * inside it keeps its aspect ratio, with scale = min(W / w, H / h) and size
 * floor(w x scale) x floor(h x scale). The effective resolution is that area, but at most
 * w x h (enlarging adds no detail); the wasted resolution is W x H minus the effective one. The
 * grid with the largest effective resolution wins; a tie goes to the smaller waste, and a tie in
 * both to the grid declared first.
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
    // scale = W / width when W / width <= H / height, i.e. W * height <= H * width
    const byWidth = W * height <= H * width;
    const dw = byWidth ? W : Math.floor((width * H) / height);
    const dh = byWidth ? Math.floor((height * W) / width) : H;
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
