// Turns encoded image bytes into RGBA pixels: PNG through pngjs, JPEG through jpeg-js (both pure
// JavaScript, no native install). WebP has no maintained pure-JS decoder, so it is reported.
import jpeg from "jpeg-js";
import { PNG } from "pngjs";

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA. */
  data: Uint8Array;
}

export type DecodeResult =
  | { ok: true; image: RgbaImage }
  | { ok: false; reason: "corrupt" | "unsupported"; message: string };

export type ImageFormat = "png" | "jpeg" | "webp" | "unknown";

export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  const riff = Buffer.from(bytes.subarray(0, 4)).toString("latin1");
  const webp = Buffer.from(bytes.subarray(8, 12)).toString("latin1");
  if (riff === "RIFF" && webp === "WEBP") return "webp";
  return "unknown";
}

/** Decoding limits keep a hostile or damaged file from exhausting memory. */
const MAX_MEGAPIXELS = 64;

export function decodeImage(bytes: Uint8Array): DecodeResult {
  const format = sniffImageFormat(bytes);
  try {
    if (format === "png") {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (png.width * png.height > MAX_MEGAPIXELS * 1e6) return tooLarge(png.width, png.height);
      return { ok: true, image: { width: png.width, height: png.height, data: png.data } };
    }
    if (format === "jpeg") {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_MEGAPIXELS,
        maxMemoryUsageInMB: 1024,
      });
      if (img.width === 0 || img.height === 0) throw new Error("image has no pixels");
      return { ok: true, image: { width: img.width, height: img.height, data: img.data } };
    }
  } catch (e) {
    return {
      ok: false,
      reason: "corrupt",
      message: `cannot decode ${format}: ${(e as Error).message}`,
    };
  }
  if (format === "webp") {
    return {
      ok: false,
      reason: "unsupported",
      message: "webp images are not supported (no pure-JS decoder)",
    };
  }
  return { ok: false, reason: "corrupt", message: "not a PNG or JPEG file (unknown signature)" };
}

function tooLarge(w: number, h: number): DecodeResult {
  return { ok: false, reason: "corrupt", message: `image is ${w}x${h}, over ${MAX_MEGAPIXELS} MP` };
}

/** Encodes RGBA pixels as PNG (used by the synthetic corpus). Deterministic for equal input. */
export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).copy(png.data);
  return PNG.sync.write(png, { colorType: 2 });
}
