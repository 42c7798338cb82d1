// LLaVA-NeXT's grid rule and resize-and-pad geometry (src/components/tiles.ts) on hand-worked
// cases, and the grid text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { padPlacement, parseGrid, selectGrid, type TileGrid } from "../../src/components/tiles.js";

const g = (t: string): TileGrid => parseGrid(t) as TileGrid;
const grids = (...t: string[]) => t.map(g);
const text = (x: TileGrid) => `${x.cols}x${x.rows}`;

describe("selectGrid", () => {
  it("MM1.5's 1344 px image at 672 px crops takes 2x2", () => {
    // 2x2 is 1344x1344: scale 1, effective 1344^2, no waste. 1x3 is 672x2016: scale 0.5, 672x672.
    // 3x1 likewise 672x672. 2x2 wins on effective resolution.
    expect(text(selectGrid(grids("1x3", "3x1", "2x2"), 672, 1344, 1344))).toBe("2x2");
  });

  it("a 2:1 wide image takes 2x1 (two crops side by side), not 2x2 that wastes half", () => {
    // 128x64 at 32 px crops. 1x1 (32x32): scale 1/4, 32x16 = 512. 2x2 (64x64): scale 1/2, 64x32 =
    // 2048, waste 4096 - 2048 = 2048. 1x2 (32x64): scale 1/4, 512. 2x1 (64x32): scale 1/2, 64x32 =
    // 2048, waste 0. 2x2 and 2x1 tie on 2048; 2x1 wastes less.
    const all = grids("1x1", "2x2", "1x2", "2x1");
    expect(text(selectGrid(all, 32, 128, 64))).toBe("2x1");
    expect(text(selectGrid(all, 32, 64, 128))).toBe("1x2");
  });

  it("an image smaller than one crop takes the grid with the least waste: 1x1", () => {
    // 16x16: every grid enlarges it, effective = min(scaled area, 256) = 256 everywhere; 1x1 wastes
    // 1024 - 256 = 768, the least.
    expect(text(selectGrid(grids("2x2", "1x2", "1x1", "2x1"), 32, 16, 16))).toBe("1x1");
    // a 1x1-pixel image too
    expect(text(selectGrid(grids("2x2", "1x1"), 32, 1, 1))).toBe("1x1");
  });

  it("a larger image than every grid takes the grid that keeps the most of it", () => {
    // 1000x300 at 100 px: 3x1 (300x100): scale 0.3, 300x90 = 27000. 2x1 (200x100): scale 0.2,
    // 200x60 = 12000. 2x2 (200x200): scale 0.2, 200x60 = 12000. 3x1 wins.
    expect(text(selectGrid(grids("2x2", "2x1", "3x1"), 100, 1000, 300))).toBe("3x1");
  });

  it("a tie in both effective and wasted resolution goes to the grid declared first", () => {
    // 64x64 at 32 px with 1x1 listed twice as different texts is impossible; use equal grids by
    // shape: 1x2 and 2x1 on a square image: each scale 1/2 -> 32x32 = 1024 effective, waste 1024.
    expect(text(selectGrid(grids("1x2", "2x1"), 32, 64, 64))).toBe("1x2");
    expect(text(selectGrid(grids("2x1", "1x2"), 32, 64, 64))).toBe("2x1");
  });

  it("computes in doubles as the reference does: 94 x (48 / 94) is 47.99..., so 47", () => {
    // 32x94 at 16 px. 3x3 (48x48): scale = min(48/32, 48/94) = 48/94; Python's int(32 * scale) =
    // 16 and int(94 * scale) = int(47.999999999999993) = 47, effective 752, waste 2304 - 752.
    // 1x3 (16x48): scale = min(16/32, 48/94) = 0.5, 16 x int(47) = 752, waste 768 - 752 = 16.
    // A tie on 752: 1x3 wastes less. Exact rationals would give 3x3 48 rows, 768, and take 3x3;
    // LLaVA-NeXT's select_best_resolution takes 1x3, and so does this.
    expect(94 * (48 / 94)).toBeLessThan(48);
    expect(text(selectGrid(grids("1x1", "3x3", "1x3"), 16, 32, 94))).toBe("1x3");
  });

  it("truncates the scaled size: 3x1 of 10 px on a 7x3 image", () => {
    // 3x1 is 30x10; scale = min(30/7, 10/3) = 10/3 (height), size floor(7 * 10/3) = 23 x 10;
    // effective min(230, 21) = 21. 1x1 (10x10): scale min(10/7, 10/3) = 10/7, 10 x floor(30/7) =
    // 10x4, effective min(40, 21) = 21. Tie on 21: waste 300 - 21 vs 100 - 21, so 1x1.
    expect(text(selectGrid(grids("3x1", "1x1"), 10, 7, 3))).toBe("1x1");
  });

  it("always returns one of the grids it was given, and the same one for the same input", () => {
    const grid = fc.record({
      cols: fc.integer({ min: 1, max: 6 }),
      rows: fc.integer({ min: 1, max: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(grid, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        (gs, side, w, h) => {
          const a = selectGrid(gs, side, w, h);
          expect(gs).toContain(a);
          expect(selectGrid(gs, side, w, h)).toBe(a);
        },
      ),
    );
  });
});

describe("padPlacement (LLaVA-NeXT's resize_and_pad_image)", () => {
  it("fills the side that scales less and centres the other, the odd pixel after", () => {
    // 64x40 on 64x32: scale_w = 1, scale_h = 0.8, so the height fills: 32 rows, width
    // ceil(64 x 0.8) = ceil(51.2) = 52, pasted at (64 - 52) // 2 = 6 (6 columns each side).
    expect(padPlacement(64, 40, 64, 32)).toEqual({ width: 52, height: 32, x: 6, y: 0 });
    // the same turned tall: the width fills, 52 rows at y = 6
    expect(padPlacement(40, 64, 32, 64)).toEqual({ width: 32, height: 52, x: 0, y: 6 });
    // 7x20 on 32x64: scale_h = 3.2 fills the height, width ceil(22.4) = 23, padding 9: 4 on the
    // left, 5 on the right (Hugging Face's divmod puts the remainder there too)
    expect(padPlacement(7, 20, 32, 64)).toEqual({ width: 23, height: 64, x: 4, y: 0 });
    // the same aspect ratio as the canvas: no padding
    expect(padPlacement(100, 50, 64, 32)).toEqual({ width: 64, height: 32, x: 0, y: 0 });
    // equal scales go to the else branch: the height fills, the width is the whole canvas too
    expect(padPlacement(64, 64, 32, 32)).toEqual({ width: 32, height: 32, x: 0, y: 0 });
  });

  it("follows the reference's double-precision ceil: 19x19 on 672x336 is 337 wide", () => {
    // scale_h = 336 / 19; 19 x (336 / 19) is 336.00000000000006 in doubles, ceil 337 (exact
    // arithmetic: 336); the reference pastes a 337 x 336 image at x = (672 - 337) // 2 = 167.
    expect(19 * (336 / 19)).toBeGreaterThan(336);
    expect(padPlacement(19, 19, 672, 336)).toEqual({ width: 337, height: 336, x: 167, y: 0 });
  });

  it("always fits the canvas and touches two opposite edges", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 2000 }),
        (w, h, W, H) => {
          const p = padPlacement(w, h, W, H);
          expect(p.width).toBeGreaterThanOrEqual(1);
          expect(p.height).toBeGreaterThanOrEqual(1);
          expect(p.x + p.width).toBeLessThanOrEqual(W);
          expect(p.y + p.height).toBeLessThanOrEqual(H);
          expect(p.width === W || p.height === H).toBe(true);
          expect(W - p.width - 2 * p.x).toBeGreaterThanOrEqual(0);
          expect(W - p.width - 2 * p.x).toBeLessThanOrEqual(1);
          expect(H - p.height - 2 * p.y).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe("parseGrid", () => {
  it("reads COLSxROWS and refuses anything else", () => {
    expect(parseGrid("2x1")).toEqual({ cols: 2, rows: 1 });
    expect(parseGrid("10x3")).toEqual({ cols: 10, rows: 3 });
    for (const bad of [
      "2x",
      "x2",
      "0x2",
      "2x0",
      "2 x 2",
      "2X2",
      "-1x2",
      "1.5x2",
      "02x2",
      "",
      "2x2x2",
    ])
      expect(parseGrid(bad)).toBeUndefined();
  });
});
