// Turns encoded image bytes into RGBA pixels: PNG through pngjs, JPEG through jpeg-js (both pure
// JavaScript) and WebP through libwebp compiled to wasm (@jsquash/webp). The wasm decoder is
// loaded on the first WebP image, so nothing that never sees one pays for it. Animated WebP is
// reported as unsupported rather than decoded. Every decoder runs only after the header was read
// and its size checked (image-header.ts), since the decoders allocate from the header's numbers.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { readImageHeader, sniffImageFormat, type ImageHeader } from "./image-header.js";
import { MAX_MEGAPIXELS } from "./limits.js";

export { sniffImageFormat, type ImageFormat } from "./image-header.js";

export interface RgbaImage {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA. */
  data: Uint8Array;
}

export type DecodeResult =
  | { ok: true; image: RgbaImage }
  | { ok: false; reason: "corrupt" | "unsupported" | "too-large"; message: string };

export type Refusal = Extract<DecodeResult, { ok: false }>;

/**
 * The header's verdict before any decoder runs: a refusal (damaged, unsupported, animated, or
 * over `megapixels`), else the header (null for a JPEG whose frame header the walk did not find).
 */
export function checkImageHeader(
  bytes: Uint8Array,
  megapixels = MAX_MEGAPIXELS,
): { ok: true; header: ImageHeader | null } | Refusal {
  const head = readImageHeader(bytes);
  if (head.ok === "unknown") return { ok: true, header: null };
  if (!head.ok) return head;
  const { width, height, format, animated } = head.header;
  if (width * height > megapixels * 1e6)
    return {
      ok: false,
      reason: "too-large",
      message: `image is ${width}x${height} (${Math.ceil((width * height) / 1e6)} MP) by its header, over the ${megapixels} MP limit`,
    };
  if (format === "webp" && animated)
    return {
      ok: false,
      reason: "unsupported",
      message: "animated WebP is not supported (only still images are)",
    };
  return head;
}

/** Decodes PNG, JPEG or WebP bytes after checking the header; never throws for bad input. */
export async function decodeImage(
  bytes: Uint8Array,
  megapixels = MAX_MEGAPIXELS,
): Promise<DecodeResult> {
  const checked = checkImageHeader(bytes, megapixels);
  if (!checked.ok) return checked;
  const format = checked.header?.format ?? sniffImageFormat(bytes);
  if (format === "webp") return decodeWebp(bytes);
  try {
    if (format === "png") {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { ok: true, image: { width: png.width, height: png.height, data: png.data } };
    }
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: megapixels,
      maxMemoryUsageInMB: 1024,
    });
    if (img.width === 0 || img.height === 0) throw new Error("image has no pixels");
    return { ok: true, image: { width: img.width, height: img.height, data: img.data } };
  } catch (e) {
    return {
      ok: false,
      reason: "corrupt",
      message: `cannot decode ${format}: ${(e as Error).message}`,
    };
  }
}

/** Encodes RGBA pixels as PNG (used by the synthetic corpus). Deterministic for equal input. */
export function encodePng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).copy(png.data);
  return PNG.sync.write(png, { colorType: 2 });
}

// --- WebP ---------------------------------------------------------------------------------------

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

/** Bytes the RIFF container says the file has. */
function riffBytes(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true) + 8;
}

/** Decodes a WebP whose header `checkImageHeader` has accepted. */
async function decodeWebp(bytes: Uint8Array): Promise<DecodeResult> {
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
    const expected = riffBytes(bytes);
    const detail =
      bytes.length < expected
        ? `truncated (${bytes.length} of ${expected} bytes)`
        : "damaged image data";
    return { ok: false, reason: "corrupt", message: `cannot decode webp: ${detail}${why}` };
  }
}
