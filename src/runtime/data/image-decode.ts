// Turns encoded image bytes into RGBA pixels: PNG through pngjs, JPEG through jpeg-js (both pure
// JavaScript) and WebP through libwebp compiled to wasm (@jsquash/webp). The wasm decoder is
// loaded on the first WebP image, so nothing that never sees one pays for it. Animated WebP is
// reported as unsupported rather than decoded.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
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

/** Decodes PNG, JPEG or WebP bytes; never throws for bad input. */
export async function decodeImage(bytes: Uint8Array): Promise<DecodeResult> {
  const format = sniffImageFormat(bytes);
  if (format === "webp") return decodeWebp(bytes);
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
  return {
    ok: false,
    reason: "corrupt",
    message: "not a PNG, JPEG or WebP file (unknown signature)",
  };
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

// --- WebP ---------------------------------------------------------------------------------------

/** What the RIFF header says, read before decoding so size limits and animation are checked. */
interface WebpHeader {
  width: number;
  height: number;
  animated: boolean;
  /** Bytes the RIFF container says the file has. */
  riffBytes: number;
}

/** Parses the first chunk (VP8X, VP8L or "VP8 "); null when it is not one of those. */
function readWebpHeader(bytes: Uint8Array): WebpHeader | null {
  if (bytes.length < 25) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffBytes = view.getUint32(4, true) + 8;
  const chunk = Buffer.from(bytes.subarray(12, 16)).toString("latin1");
  const u24 = (at: number) => view.getUint16(at, true) | (view.getUint8(at + 2) << 16);
  if (chunk === "VP8X" && bytes.length >= 30) {
    const flags = view.getUint8(20);
    return { width: u24(24) + 1, height: u24(27) + 1, animated: (flags & 0x02) !== 0, riffBytes };
  }
  if (chunk === "VP8L" && view.getUint8(20) === 0x2f) {
    const bits = view.getUint32(21, true);
    return {
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
      animated: false,
      riffBytes,
    };
  }
  if (chunk === "VP8 " && bytes.length >= 30 && u24(23) === 0x2a019d) {
    const width = view.getUint16(26, true) & 0x3fff;
    const height = view.getUint16(28, true) & 0x3fff;
    return { width, height, animated: false, riffBytes };
  }
  return null;
}

/** The package's decode module as it behaves at run time (its .d.ts omits init's module form). */
interface WebpDecodeModule {
  init(module: unknown): Promise<void>;
  default(buffer: ArrayBuffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
// Node's types carry no WebAssembly namespace without the DOM lib; this is the one call used.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<object> };

let webpDecoder: Promise<WebpDecodeModule["default"]> | undefined;

/**
 * Loads libwebp once. The package's glue would fetch its .wasm by URL, which Node cannot do for
 * files, so the module is compiled here from the installed file and handed to `init`.
 */
function loadWebpDecoder(): Promise<WebpDecodeModule["default"]> {
  webpDecoder ??= (async () => {
    const mod = (await import("@jsquash/webp/decode.js")) as unknown as WebpDecodeModule;
    const wasm = createRequire(import.meta.url).resolve("@jsquash/webp/codec/dec/webp_dec.wasm");
    await mod.init(await WebAssembly.compile(await readFile(wasm)));
    // init does not wait for instantiation; an empty input does, and only fails to decode
    await mod.default(new ArrayBuffer(0)).catch((e: unknown) => {
      if ((e as Error).message !== "Decoding error") throw e;
    });
    return mod.default;
  })();
  return webpDecoder;
}

async function decodeWebp(bytes: Uint8Array): Promise<DecodeResult> {
  const header = readWebpHeader(bytes);
  if (header?.animated) {
    return {
      ok: false,
      reason: "unsupported",
      message: "animated WebP is not supported (only still images are)",
    };
  }
  if (header && header.width * header.height > MAX_MEGAPIXELS * 1e6)
    return tooLarge(header.width, header.height);
  let decode: WebpDecodeModule["default"];
  try {
    decode = await loadWebpDecoder();
  } catch (e) {
    return {
      ok: false,
      reason: "unsupported",
      message: `the WebP decoder (@jsquash/webp) did not load: ${(e as Error).message}`,
    };
  }
  try {
    const img = await decode(new Uint8Array(bytes).buffer);
    const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
    return { ok: true, image: { width: img.width, height: img.height, data } };
  } catch (e) {
    const why = (e as Error).message === "Decoding error" ? "" : ` (${(e as Error).message})`;
    const detail =
      bytes.length < 25
        ? `${bytes.length} bytes, too short for a WebP header`
        : !header
          ? "no VP8, VP8L or VP8X chunk after the RIFF header"
          : bytes.length < header.riffBytes
            ? `truncated (${bytes.length} of ${header.riffBytes} bytes)`
            : "damaged image data";
    return { ok: false, reason: "corrupt", message: `cannot decode webp: ${detail}${why}` };
  }
}
