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
  it("decodes PNG and JPEG and recognises WebP as unsupported", () => {
    const img = image(5, 3, (x, y) => [x * 40, y * 80, 7]);
    const png = decodeImage(encodePng(img));
    expect(png.ok && png.image.width === 5 && png.image.height === 3).toBe(true);
    if (png.ok) expect(Array.from(png.image.data)).toEqual(Array.from(img.data));
    const jpg = decodeImage(jpeg.encode({ ...img, data: Buffer.from(img.data) }, 95).data);
    expect(jpg.ok && jpg.image.width).toBe(5);
    const webp = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(4), Buffer.from("WEBPVP8 ")]);
    expect(sniffImageFormat(webp)).toBe("webp");
    expect(decodeImage(webp)).toMatchObject({ ok: false, reason: "unsupported" });
  });

  it("reports corrupt bytes instead of throwing", () => {
    expect(decodeImage(Buffer.from("hello"))).toMatchObject({ ok: false, reason: "corrupt" });
    const png = encodePng(image(4, 4, () => [1, 2, 3]));
    expect(decodeImage(png.subarray(0, 30))).toMatchObject({ ok: false, reason: "corrupt" });
    expect(decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2]))).toMatchObject({
      ok: false,
      reason: "corrupt",
    });
  });
});

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
