import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import {
  CLIP_MEAN,
  CLIP_STD,
  decodeImage,
  DEFAULT_IMAGE_OPTIONS,
  encodePng,
  preprocessImage,
  sniffImageFormat,
  type RgbaImage,
} from "../../src/runtime/data/index.js";
import { expandToSquare, fitProblem, padColour } from "../../src/runtime/data/image-preprocess.js";
import { encoderPixels } from "../../src/runtime/data/image-tiles.js";
import { encodeWebp } from "./fixtures.js";

function image(
  w: number,
  h: number,
  f: (x: number, y: number) => [number, number, number],
): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) data.set([...f(x, y), 255], (y * w + x) * 4);
  return { width: w, height: h, data };
}

const norm = (v: number, c: 0 | 1 | 2) => (v / 255 - CLIP_MEAN[c]) / CLIP_STD[c];

describe("image decoding", () => {
  it("decodes PNG and JPEG", async () => {
    const img = image(5, 3, (x, y) => [x * 40, y * 80, 7]);
    const png = await decodeImage(encodePng(img));
    expect(png.ok && png.image.width === 5 && png.image.height === 3).toBe(true);
    if (png.ok) expect(Array.from(png.image.data)).toEqual(Array.from(img.data));
    const jpg = await decodeImage(jpeg.encode({ ...img, data: Buffer.from(img.data) }, 95).data);
    expect(jpg.ok && jpg.image.width).toBe(5);
  });

  it("reports corrupt bytes instead of throwing", async () => {
    expect(await decodeImage(Buffer.from("hello"))).toMatchObject({ ok: false, reason: "corrupt" });
    const png = encodePng(image(4, 4, () => [1, 2, 3]));
    expect(await decodeImage(png.subarray(0, 30))).toMatchObject({ ok: false, reason: "corrupt" });
    expect(await decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]))).toMatchObject({
      ok: false,
      reason: "corrupt",
    });
  });
});

describe("WebP decoding", () => {
  // 7x5 with every channel varying, alpha included (a transparent pixel keeps its colour: `exact`)
  const colours = (x: number, y: number): [number, number, number] => [
    x * 36,
    y * 60,
    (x * y * 13) % 256,
  ];
  const img = image(7, 5, colours);
  img.data[3] = 0;
  img.data[(2 * 7 + 3) * 4 + 3] = 128;

  it("decodes lossless WebP to exactly the pixels it was encoded from, as PNG does", async () => {
    const bytes = await encodeWebp(img);
    expect(sniffImageFormat(bytes)).toBe("webp");
    const webp = await decodeImage(bytes);
    if (!webp.ok) throw new Error(webp.message);
    expect([webp.image.width, webp.image.height]).toEqual([7, 5]);
    expect(Array.from(webp.image.data)).toEqual(Array.from(img.data));
    // encodePng writes RGB, so compare the two paths on an opaque image
    const opaque = image(7, 5, colours);
    const [fromWebp, fromPng] = await Promise.all([
      decodeImage(await encodeWebp(opaque)),
      decodeImage(encodePng(opaque)),
    ]);
    if (!fromWebp.ok || !fromPng.ok) throw new Error("decode failed");
    expect(Array.from(fromWebp.image.data)).toEqual(Array.from(fromPng.image.data));
  });

  it("decodes lossy WebP to within a small error of the source pixels", async () => {
    const smooth = image(32, 32, (x, y) => [x * 8, y * 8, 128]);
    const webp = await decodeImage(await encodeWebp(smooth, 90));
    if (!webp.ok) throw new Error(webp.message);
    expect([webp.image.width, webp.image.height]).toEqual([32, 32]);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < smooth.data.length; i++) {
      const d = Math.abs(webp.image.data[i]! - smooth.data[i]!);
      sum += d;
      max = Math.max(max, d);
    }
    expect(sum / smooth.data.length).toBeLessThan(3);
    expect(max).toBeLessThan(24);
  });

  it("reports truncated or garbage WebP as corrupt, never throwing", async () => {
    const bytes = await encodeWebp(img);
    const truncated = await decodeImage(bytes.subarray(0, bytes.length - 20));
    expect(truncated).toMatchObject({ ok: false, reason: "corrupt" });
    expect(!truncated.ok && truncated.message).toMatch(
      /^cannot decode webp: truncated \(\d+ of \d+/,
    );
    // a valid RIFF and VP8L header followed by garbage
    const garbage = Buffer.concat([bytes.subarray(0, 25), Buffer.alloc(200, 0x5a)]);
    expect(await decodeImage(garbage)).toEqual({
      ok: false,
      reason: "corrupt",
      message: "cannot decode webp: damaged image data",
    });
    const headerOnly = Buffer.concat([
      Buffer.from("RIFF"),
      Buffer.alloc(4),
      Buffer.from("WEBPVP8 "),
    ]);
    expect(await decodeImage(headerOnly)).toMatchObject({ ok: false, reason: "corrupt" });
    // a bad image does not break the decoder for the next one
    expect(await decodeImage(bytes)).toMatchObject({ ok: true });
  });

  it("refuses an image whose header claims more than 64 megapixels before decoding it", async () => {
    const bytes = Buffer.from(await encodeWebp(img));
    // VP8L: 14-bit width-1 and height-1 after the 0x2f signature at byte 20
    bytes.writeUInt32LE((bytes.readUInt32LE(21) & ~0xfffffff) | 16383 | (16383 << 14), 21);
    const r = await decodeImage(bytes);
    expect(r).toMatchObject({ ok: false, reason: "too-large" });
    expect(!r.ok && r.message).toMatch(
      /16384x16384 \(269 MP\) by its header, over the 64 MP limit/,
    );
  });

  it("reports animated WebP as unsupported instead of decoding a frame", async () => {
    const r = await decodeImage(animatedWebp(await encodeWebp(img), 7, 5));
    expect(r).toMatchObject({ ok: false, reason: "unsupported" });
    expect(!r.ok && r.message).toMatch(/animated WebP/);
  });
});

/** A one-frame animation (VP8X + ANIM + ANMF) wrapping the image chunk of a still WebP. */
function animatedWebp(still: Buffer, w: number, h: number): Buffer {
  const chunk = (tag: string, payload: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(tag, 0, "latin1");
    head.writeUInt32LE(payload.length, 4);
    return Buffer.concat([head, payload, Buffer.alloc(payload.length % 2)]);
  };
  const u24 = (v: number) => Buffer.from([v & 0xff, (v >> 8) & 0xff, v >> 16]);
  const vp8x = Buffer.concat([Buffer.from([0x02 | 0x10, 0, 0, 0]), u24(w - 1), u24(h - 1)]);
  const anim = Buffer.from([0, 0, 0, 0, 0, 0]);
  const frame = Buffer.concat([u24(0), u24(0), u24(w - 1), u24(h - 1), u24(100), Buffer.from([0])]);
  const body = Buffer.concat([
    Buffer.from("WEBP"),
    chunk("VP8X", vp8x),
    chunk("ANIM", anim),
    chunk("ANMF", Buffer.concat([frame, still.subarray(12)])),
  ]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

describe("preprocessing", () => {
  it("normalises a solid image with CLIP mean and std, channel first", () => {
    const out = preprocessImage(
      image(10, 10, () => [255, 128, 0]),
      { ...DEFAULT_IMAGE_OPTIONS, size: 4 },
    );
    expect(out.length).toBe(3 * 16);
    for (let i = 0; i < 16; i++) {
      expect(out[i]).toBeCloseTo(norm(255, 0), 5);
      expect(out[16 + i]).toBeCloseTo(norm(128, 1), 5);
      expect(out[32 + i]).toBeCloseTo(norm(0, 2), 5);
    }
  });

  it("area-averages when shrinking", () => {
    // 4x4 checkerboard of 2x2 blocks shrunk to 2x2: each output pixel is one block's value
    const img = image(4, 4, (x, y) => [((x >> 1) + (y >> 1)) % 2 ? 200 : 40, 0, 0]);
    const out = preprocessImage(img, { ...DEFAULT_IMAGE_OPTIONS, size: 2, resize: "area" });
    expect(
      Array.from(out.subarray(0, 4)).map((v) => Math.round((v * CLIP_STD[0] + CLIP_MEAN[0]) * 255)),
    ).toEqual([40, 200, 200, 40]);
    // 3 -> 2 covers partial pixels: first output is (v0 + 0.5 v1) / 1.5
    const row = image(3, 3, (x) => [x === 0 ? 90 : x === 1 ? 180 : 0, 0, 0]);
    const o2 = preprocessImage(row, { ...DEFAULT_IMAGE_OPTIONS, size: 2, resize: "area" });
    expect((o2[0]! * CLIP_STD[0] + CLIP_MEAN[0]) * 255).toBeCloseTo((90 + 0.5 * 180) / 1.5, 3);
  });

  it("interpolates bilinearly when enlarging", () => {
    const img = image(2, 1, (x) => [x ? 255 : 0, 0, 0]);
    // centre-cropped to 1x1 (the left pixel centred at 0.5), so use a 2x2 image instead
    const sq = image(2, 2, (x) => [x ? 255 : 0, 0, 0]);
    const out = preprocessImage(sq, { ...DEFAULT_IMAGE_OPTIONS, size: 4, resize: "bilinear" });
    const px = Array.from(out.subarray(0, 4)).map((v) => (v * CLIP_STD[0] + CLIP_MEAN[0]) * 255);
    [0, 63.75, 191.25, 255].forEach((want, i) => expect(px[i]).toBeCloseTo(want, 2));
    expect(preprocessImage(img, { ...DEFAULT_IMAGE_OPTIONS, size: 1 }).length).toBe(3);
  });

  it("takes the centred square of a wide image", () => {
    // 6x2: left and right thirds red, middle 2x2 green; the crop keeps only green
    const img = image(6, 2, (x) => (x >= 2 && x < 4 ? [0, 255, 0] : [255, 0, 0]));
    const out = preprocessImage(img, { ...DEFAULT_IMAGE_OPTIONS, size: 2 });
    for (let i = 0; i < 4; i++) {
      expect(out[i]).toBeCloseTo(norm(0, 0), 4);
      expect(out[4 + i]).toBeCloseTo(norm(255, 1), 4);
    }
  });
});

describe("fit: pad (LLaVA-1.5's expand2square)", () => {
  /** Channel c of the [3, S, S] output at (x, y), back in bytes. */
  const byteAt = (out: Float32Array, s: number, c: 0 | 1 | 2, x: number, y: number) =>
    Math.round(((out[c * s * s + y * s + x] ?? NaN) * CLIP_STD[c] + CLIP_MEAN[c]) * 255);

  it("fills with CLIP's mean as int(x * 255): (122, 116, 104)", () => {
    expect(padColour(CLIP_MEAN)).toEqual([122, 116, 104]);
    // truncated, not rounded: 127.5 -> 127, 76.5 -> 76, 51.00000000000001 -> 51
    expect(padColour([0.5, 0.3, 0.2])).toEqual([127, 76, 51]);
  });

  it("a wide image: top and bottom bands are the mean colour, the centre rows the image", () => {
    // 8 x 3 on an 8 x 8 square at (0, (8 - 3) // 2 = 2): rows 0-1 and 5-7 are padding (the odd
    // row goes below); resized to 8 it is copied pixel for pixel
    const img = image(8, 3, (x, y) => [10 + x, 200 + y, 30 * y]);
    const out = preprocessImage(img, { ...DEFAULT_IMAGE_OPTIONS, size: 8, fit: "pad" });
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 8; x++) {
        const got = [0, 1, 2].map((c) => byteAt(out, 8, c as 0 | 1 | 2, x, y));
        const inside = y >= 2 && y < 5;
        expect(got, `(${x}, ${y})`).toEqual(
          inside ? [10 + x, 200 + (y - 2), 30 * (y - 2)] : [122, 116, 104],
        );
      }
    // the default, `crop`, keeps no padding: the centred 3 x 3 (from x = 2.5) of the image
    const crop = preprocessImage(img, { ...DEFAULT_IMAGE_OPTIONS, size: 3 });
    expect(((crop[0] ?? NaN) * CLIP_STD[0] + CLIP_MEAN[0]) * 255).toBeCloseTo(12.5, 3);
  });

  it("a tall image: left and right bands, the odd column on the right", () => {
    const img = image(2, 5, (x, y) => [x * 100, y * 40, 7]);
    const sq = expandToSquare(img, [1, 2, 3]);
    expect([sq.width, sq.height]).toEqual([5, 5]);
    for (let y = 0; y < 5; y++)
      for (let x = 0; x < 5; x++) {
        const px = Array.from(sq.data.subarray((y * 5 + x) * 4, (y * 5 + x) * 4 + 3));
        // at ((5 - 2) // 2 = 1, 0): column 0 and columns 3-4 are padding
        expect(px, `(${x}, ${y})`).toEqual(
          x >= 1 && x < 3 ? [(x - 1) * 100, y * 40, 7] : [1, 2, 3],
        );
      }
    expect(
      expandToSquare(
        image(4, 4, () => [9, 9, 9]),
        [1, 2, 3],
      ).data[0],
    ).toBe(9); // square: as is
  });

  it("fills with the configured mean, not CLIP's", () => {
    const options = {
      ...DEFAULT_IMAGE_OPTIONS,
      size: 4,
      fit: "pad" as const,
      mean: [0.5, 0.3, 0.2] as const,
    };
    const out = preprocessImage(
      image(4, 1, () => [0, 0, 0]),
      options,
    );
    // row 0 is padding: (127 / 255 - 0.5) / std, channel by channel
    expect(out[0]).toBeCloseTo((127 / 255 - 0.5) / CLIP_STD[0], 5);
    expect(out[16]).toBeCloseTo((76 / 255 - 0.3) / CLIP_STD[1], 5);
    expect(out[32]).toBeCloseTo((51 / 255 - 0.2) / CLIP_STD[2], 5);
  });

  it("refuses a square past the pixel limit, and tiles without it", () => {
    const pad = { ...DEFAULT_IMAGE_OPTIONS, fit: "pad" as const };
    expect(fitProblem(8000, 8000, pad, 64)).toBeUndefined();
    expect(fitProblem(8001, 10, pad, 64)).toBe(
      "image is 8001x10; `fit: pad` makes it a 8001x8001 square (65 MP), over the 64 MP limit",
    );
    expect(fitProblem(8001, 10, DEFAULT_IMAGE_OPTIONS, 64)).toBeUndefined();
    const tiles = { grids: [{ cols: 1, rows: 1 }], overview: true };
    expect(() =>
      encoderPixels(
        image(4, 2, () => [0, 0, 0]),
        { ...pad, size: 2, tiles },
      ),
    ).toThrow(/does not apply to tiled images/);
  });
});
