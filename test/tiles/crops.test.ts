// Tiled images in the data pipeline: crop pixels against the source pixels, the overview, the
// token count of a tiled document, and the packer's slot layout (one slot per pass, back to back).
import { describe, expect, it } from "vitest";
import { parseGrid, type TileGrid, type TilesConfig } from "../../src/components/tiles.js";
import {
  BYTE_SPECIAL,
  ByteTokenizer,
  CLIP_MEAN,
  CLIP_STD,
  DEFAULT_IMAGE_OPTIONS,
  SequencePacker,
  imagesIn,
  tileImage,
  resizeRegion,
  type RgbaImage,
  type TokenizedDocument,
} from "../../src/runtime/data/index.js";
import { padValues } from "../../src/runtime/data/image-tiles.js";
import { tokenizeDocument } from "../../src/runtime/data/tokenize-document.js";

const tiles = (overview: boolean, ...t: string[]): TilesConfig => ({
  grids: t.map((x) => parseGrid(x) as TileGrid),
  overview,
});

/** Pixel (x, y) has R = x * 3, G = y * 3, B = (x + y) % 256: every pixel is told apart. */
function ramp(w: number, h: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.set([x * 3, y * 3, (x + y) % 256, 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

const norm = (v: number, c: 0 | 1 | 2) => (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c];
const channel = (x: number, y: number, c: 0 | 1 | 2) =>
  c === 0 ? x * 3 : c === 1 ? y * 3 : (x + y) % 256;
const S = 32;
const opts = { ...DEFAULT_IMAGE_OPTIONS, size: S };

describe("tileImage", () => {
  it("cuts a 64x64 image on a 2x2 grid into its four source quarters, row by row", () => {
    // 64x64 to 2x2 of 32 px is 64x64: no resampling, so crop k is exactly the source cell
    // (column k mod 2, row floor(k / 2)), normalised.
    const t = tileImage(ramp(64, 64), tiles(false, "1x1", "2x2"), opts);
    expect(t.grid).toEqual({ cols: 2, rows: 2 });
    expect(t.passes).toBe(4);
    expect(t.pixels.length).toBe(4 * 3 * S * S);
    for (let k = 0; k < 4; k++) {
      const cx = (k % 2) * S;
      const cy = Math.floor(k / 2) * S;
      for (const c of [0, 1, 2] as const)
        for (const [x, y] of [
          [0, 0],
          [31, 0],
          [5, 17],
          [31, 31],
        ] as const) {
          const got = t.pixels[k * 3 * S * S + c * S * S + y * S + x] as number;
          expect(got).toBeCloseTo(norm(channel(cx + x, cy + y, c), c), 5);
        }
    }
  });

  it("puts the overview first: the whole image area-averaged to one crop", () => {
    // 64 -> 32 by area averaging: each overview pixel is the mean of a 2x2 source block.
    const t = tileImage(ramp(64, 64), tiles(true, "2x2"), opts);
    expect(t.passes).toBe(5);
    for (const c of [0, 1, 2] as const)
      for (const [x, y] of [
        [0, 0],
        [10, 20],
        [31, 31],
      ] as const) {
        const mean =
          (channel(2 * x, 2 * y, c) +
            channel(2 * x + 1, 2 * y, c) +
            channel(2 * x, 2 * y + 1, c) +
            channel(2 * x + 1, 2 * y + 1, c)) /
          4;
        expect(t.pixels[c * S * S + y * S + x] as number).toBeCloseTo(norm(mean, c), 4);
      }
    // and the first crop after it is the top-left source quarter
    expect(t.pixels[3 * S * S + 0] as number).toBeCloseTo(norm(channel(0, 0, 0), 0), 5);
  });

  it("cuts a wide 64x32 image on 2x1 into its left and right halves", () => {
    const t = tileImage(ramp(64, 32), tiles(false, "1x1", "2x2", "1x2", "2x1"), opts);
    expect(t.grid).toEqual({ cols: 2, rows: 1 });
    const right = 3 * S * S; // crop 1, red channel, pixel (0, 0) is source (32, 0)
    expect(t.pixels[right] as number).toBeCloseTo(norm(channel(32, 0, 0), 0), 5);
    expect(t.pixels[right + 7 * S + 3] as number).toBeCloseTo(norm(channel(35, 7, 0), 0), 5);
  });

  it("enlarges a tiny square image to one crop (1x1) and is deterministic", () => {
    const img = ramp(8, 8);
    const a = tileImage(img, tiles(true, "2x2", "1x1"), opts);
    expect(a.grid).toEqual({ cols: 1, rows: 1 });
    expect(a.passes).toBe(2);
    expect(Array.from(tileImage(img, tiles(true, "2x2", "1x1"), opts).pixels)).toEqual(
      Array.from(a.pixels),
    );
    // with 1x1 the crop is the whole image resized, the same pixels as the overview
    expect(Array.from(a.pixels.subarray(3 * S * S))).toEqual(
      Array.from(a.pixels.subarray(0, 3 * S * S)),
    );
  });
});

describe("tileImage pads as LLaVA-NeXT does: aspect ratio kept, black around", () => {
  const whole = (img: RgbaImage) => ({ x0: 0, y0: 0, width: img.width, height: img.height });
  const pad = padValues(opts);
  const at = (px: Float32Array, pass: number, c: number, x: number, y: number) =>
    px[pass * 3 * S * S + c * S * S + y * S + x] as number;

  it("a 64x40 image on 2x1 is resized to 52x32 and pasted 6 columns in", () => {
    // 2x1 is 64x32: the height fills (scale 0.8), width ceil(51.2) = 52, 6 black columns on the
    // left of crop 0 and 6 on the right of crop 1.
    const img = ramp(64, 40);
    const t = tileImage(img, tiles(true, "2x1"), opts);
    expect(t.passes).toBe(3);
    const resized = resizeRegion(img, whole(img), 52, 32, opts); // [3, 32, 52]
    const src = (c: number, x: number, y: number) => resized[c * 32 * 52 + y * 52 + x] as number;
    for (const c of [0, 1, 2]) {
      for (const y of [0, 13, 31]) {
        for (let x = 0; x < 6; x++) {
          expect(at(t.pixels, 1, c, x, y)).toBe(pad[c]); // crop 0, left padding
          expect(at(t.pixels, 2, c, S - 1 - x, y)).toBe(pad[c]); // crop 1, right padding
        }
        expect(at(t.pixels, 1, c, 6, y)).toBe(src(c, 0, y)); // crop 0 starts the image at 6
        expect(at(t.pixels, 1, c, 31, y)).toBe(src(c, 25, y));
        expect(at(t.pixels, 2, c, 0, y)).toBe(src(c, 26, y)); // crop 1 goes on from column 26
        expect(at(t.pixels, 2, c, 25, y)).toBe(src(c, 51, y));
      }
    }
    // the overview is the whole image resized to one crop, stretched, not padded
    const overview = resizeRegion(img, whole(img), S, S, opts);
    expect(Array.from(t.pixels.subarray(0, 3 * S * S))).toEqual(Array.from(overview));
  });

  it("a 20x70 image on 1x2 (32x64) is 19 columns wide, 6 black columns left and 7 right", () => {
    // scale_w = 32/20 = 1.6, scale_h = 64/70: the height fills (64 rows), width
    // ceil(20 x 64/70) = ceil(18.29) = 19, padding 13 = 6 + 7.
    const img = ramp(20, 70);
    const t = tileImage(img, tiles(false, "1x1", "1x2"), opts);
    expect(t.grid).toEqual({ cols: 1, rows: 2 });
    const resized = resizeRegion(img, whole(img), 19, 64, opts);
    for (const pass of [0, 1])
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const inside = x >= 6 && x < 25;
          const want = inside ? resized[(pass * S + y) * 19 + x - 6] : pad[0];
          expect(at(t.pixels, pass, 0, x, y)).toBe(want);
        }
      }
  });

  it("pads with black: the normalised value of a zero pixel in each channel", () => {
    expect(pad).toEqual([0, 1, 2].map((c) => Math.fround(norm(0, c as 0 | 1 | 2))));
  });
});

describe("tiled documents and packing", () => {
  const per = 3 * S * S;
  const tiled = (passes: number, tag: number) =>
    Float32Array.from({ length: passes * per }, (_, i) => tag * 1000 + Math.floor(i / per));

  it("a tiled image takes tokens per pass x passes positions", () => {
    const doc = tokenizeDocument(
      {
        source: "caption",
        where: "x",
        parts: [
          { type: "image", pixels: tiled(5, 1), ref: "a" },
          { type: "text", text: "abc" },
          { type: "image", pixels: tiled(3, 2), ref: "b" },
        ],
      },
      new ByteTokenizer(),
      4,
      per,
    );
    // BOS + 5 x 4 + "abc" + 3 x 4 + EOS
    expect(doc.length).toBe(1 + 20 + 3 + 12 + 1);
    expect(doc.images).toBe(2);
  });

  it("lays each pass out as its own slot, back to back, counting the image once", async () => {
    const docs: TokenizedDocument[] = [
      {
        source: "caption",
        where: "d0",
        parts: [
          { type: "image", pixels: tiled(5, 1), ref: "a", passes: 5 },
          { type: "text", ids: Int32Array.of(65, 66) },
        ],
        length: 1 + 20 + 2 + 1,
        images: 1,
      },
      {
        source: "caption",
        where: "d1",
        parts: [
          { type: "image", pixels: tiled(2, 2), ref: "b", passes: 2 },
          { type: "text", ids: Int32Array.of(67) },
        ],
        length: 1 + 8 + 1 + 1,
        images: 1,
      },
    ];
    let i = 0;
    const source = {
      next: () => Promise.resolve(docs[i++ % docs.length] as TokenizedDocument),
      getState: () => ({}),
    };
    const packer = new SequencePacker(source, BYTE_SPECIAL, {
      sequence: 64,
      imageTokens: 4,
      imagesPerSequence: 2,
      window: 1,
    });
    const seq = await packer.next();
    // d0 at 0: BOS, 5 slots of 4 at 1, 5, 9, 13, 17, text at 21-22, EOS 23; d1 at 24: BOS, 2 slots
    // at 25, 29, text 33, EOS 34. A third image would pass the budget of 2: padding follows.
    expect(seq.imageSlots).toEqual([
      { start: 1, length: 4, image: 0, pass: 0 },
      { start: 5, length: 4, image: 1, pass: 1 },
      { start: 9, length: 4, image: 2, pass: 2 },
      { start: 13, length: 4, image: 3, pass: 3 },
      { start: 17, length: 4, image: 4, pass: 4 },
      { start: 25, length: 4, image: 5, pass: 0 },
      { start: 29, length: 4, image: 6, pass: 1 },
    ]);
    expect(imagesIn(seq)).toBe(2);
    expect(seq.images.map((x) => [x.length, x[0]])).toEqual([
      [per, 1000],
      [per, 1001],
      [per, 1002],
      [per, 1003],
      [per, 1004],
      [per, 2000],
      [per, 2001],
    ]);
    expect(Array.from(seq.tokens.subarray(0, 36))).toEqual([
      BYTE_SPECIAL.bos,
      ...Array<number>(20).fill(BYTE_SPECIAL.image),
      65,
      66,
      BYTE_SPECIAL.eos,
      BYTE_SPECIAL.bos,
      ...Array<number>(8).fill(BYTE_SPECIAL.image),
      67,
      BYTE_SPECIAL.eos,
      BYTE_SPECIAL.pad,
    ]);
    expect(seq.lossMask[5]).toBe(0);
    expect(seq.lossMask[21]).toBe(1);
  });
});
