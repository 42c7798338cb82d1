// LLaVA-NeXT's grid rule (src/components/tiles.ts) on hand-worked cases, and the grid text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseGrid, selectGrid, type TileGrid } from "../../src/components/tiles.js";

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

  it("floors the scaled size exactly (no float rounding): 3x1 of 10 px on a 7x3 image", () => {
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
