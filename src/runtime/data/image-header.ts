// Reads an image's format and dimensions from its header without decoding anything: PNG's IHDR,
// JPEG's frame header (found by walking the marker segments up to the first scan) and WebP's
// VP8X/VP8L/VP8 chunks. The decoders allocate from these numbers, so they are checked first.

export type ImageFormat = "png" | "jpeg" | "webp" | "unknown";

export interface ImageHeader {
  format: "png" | "jpeg" | "webp";
  width: number;
  height: number;
  /** WebP with the animation flag (not decoded). */
  animated: boolean;
}

export type HeaderResult =
  | { ok: true; header: ImageHeader }
  | { ok: false; reason: "corrupt" | "unsupported"; message: string }
  /** The walk could not find the header; the decoder, with its own limits, decides. */
  | { ok: "unknown"; format: "jpeg" };

export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (latin1(bytes, 0, 4) === "RIFF" && latin1(bytes, 8, 12) === "WEBP") return "webp";
  return "unknown";
}

export function readImageHeader(bytes: Uint8Array): HeaderResult {
  const format = sniffImageFormat(bytes);
  if (format === "png") return readPngHeader(bytes);
  if (format === "jpeg") return readJpegHeader(bytes);
  if (format === "webp") return readWebpHeader(bytes);
  return corrupt("not a PNG, JPEG or WebP file (unknown signature)");
}

function latin1(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

function corrupt(message: string): HeaderResult {
  return { ok: false, reason: "corrupt", message };
}

function found(format: ImageHeader["format"], width: number, height: number, animated = false) {
  return { ok: true as const, header: { format, width, height, animated } };
}

// --- PNG ----------------------------------------------------------------------------------------

/** Bit depths each colour type allows (PNG spec, table 11.1). */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function readPngHeader(bytes: Uint8Array): HeaderResult {
  if (bytes.length < 33) return corrupt(`cannot decode png: ${bytes.length} bytes, no IHDR chunk`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || latin1(bytes, 12, 16) !== "IHDR")
    return corrupt("cannot decode png: the first chunk is not a 13-byte IHDR");
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth = 0, colour = 0, compression, filter, interlace = 0] = bytes.subarray(24, 29);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    return corrupt(`cannot decode png: IHDR gives an impossible size ${width}x${height}`);
  const depths = PNG_DEPTHS[colour];
  if (!depths) return corrupt(`cannot decode png: unknown colour type ${colour}`);
  if (!depths.includes(depth))
    return corrupt(
      `cannot decode png: bit depth ${depth} is not allowed for colour type ${colour}`,
    );
  if (compression !== 0 || filter !== 0 || interlace > 1)
    return corrupt("cannot decode png: unknown compression, filter or interlace method");
  return found("png", width, height);
}

// --- JPEG ---------------------------------------------------------------------------------------

/** Frame markers jpeg-js decodes: baseline, extended and progressive Huffman coding. */
const DECODED_SOF = new Set([0xc0, 0xc1, 0xc2]);
/** The other frame markers: lossless, hierarchical and arithmetic coding. */
const OTHER_SOF = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Walks marker segments by their lengths from SOI to the first scan; reads no image data. */
function readJpegHeader(bytes: Uint8Array): HeaderResult {
  let frame: { width: number; height: number } | undefined;
  let at = 2;
  for (;;) {
    if (at + 4 > bytes.length || bytes[at] !== 0xff) break;
    let marker = bytes[at + 1] ?? 0;
    while (marker === 0xff && at + 2 < bytes.length) marker = bytes[++at + 1] ?? 0; // fill bytes
    at += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // no length
    if (marker === 0xd9) break;
    if (marker === 0xda) {
      if (frame) return found("jpeg", frame.width, frame.height);
      return corrupt("cannot decode jpeg: a scan starts before the frame header");
    }
    const length = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
    if (length < 2)
      return corrupt(`cannot decode jpeg: a marker segment at byte ${at - 2} is empty`);
    if (OTHER_SOF.has(marker))
      return {
        ok: false,
        reason: "unsupported",
        message: `JPEG frame type SOF${marker - 0xc0} (lossless, hierarchical or arithmetic coding) is not supported`,
      };
    if (DECODED_SOF.has(marker)) {
      if (frame) return corrupt("cannot decode jpeg: more than one frame header");
      if (length < 8 || at + 8 > bytes.length)
        return corrupt("cannot decode jpeg: the frame header is cut short");
      const height = ((bytes[at + 3] ?? 0) << 8) | (bytes[at + 4] ?? 0);
      const width = ((bytes[at + 5] ?? 0) << 8) | (bytes[at + 6] ?? 0);
      const components = bytes[at + 7] ?? 0;
      if (width === 0 || height === 0)
        return corrupt(`cannot decode jpeg: the frame header gives a size of ${width}x${height}`);
      if (components < 1 || components > 4)
        return corrupt(`cannot decode jpeg: the frame has ${components} components`);
      frame = { width, height };
    }
    at += length;
  }
  // Some cameras write malformed APP segments that jpeg-js steps over; it applies the same
  // pixel limit when it meets the frame header, before allocating for it.
  if (frame) return found("jpeg", frame.width, frame.height);
  return { ok: "unknown", format: "jpeg" };
}

// --- WebP ---------------------------------------------------------------------------------------

/** The dimensions of a VP8L or "VP8 " chunk whose payload starts at `at`; null if not one. */
function bitstreamSize(
  bytes: Uint8Array,
  tag: string,
  at: number,
): { width: number; height: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (tag === "VP8L" && at + 5 <= bytes.length && bytes[at] === 0x2f) {
    const bits = view.getUint32(at + 1, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (
    tag === "VP8 " &&
    at + 10 <= bytes.length &&
    bytes[at + 3] === 0x9d &&
    bytes[at + 4] === 0x01 &&
    bytes[at + 5] === 0x2a
  )
    return {
      width: view.getUint16(at + 6, true) & 0x3fff,
      height: view.getUint16(at + 8, true) & 0x3fff,
    };
  return null;
}

/**
 * The first chunk must be VP8X, VP8L or "VP8 ". For VP8X the canvas size is read, and the chunks
 * after it are walked to the image bitstream, whose own size is checked too (the larger counts).
 */
function readWebpHeader(bytes: Uint8Array): HeaderResult {
  if (bytes.length < 25)
    return corrupt(`cannot decode webp: ${bytes.length} bytes, too short for a WebP header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = latin1(bytes, 12, 16);
  if (first === "VP8X") {
    if (bytes.length < 30) return corrupt("cannot decode webp: the VP8X chunk is cut short");
    const u24 = (at: number) => view.getUint16(at, true) | ((bytes[at + 2] ?? 0) << 16);
    const animated = ((bytes[20] ?? 0) & 0x02) !== 0;
    let width = u24(24) + 1;
    let height = u24(27) + 1;
    // walk the chunks (each padded to an even length) to the bitstream of a still image
    let at = 12 + 8 + view.getUint32(16, true);
    for (let n = 0; !animated && n < 64 && at + 8 <= bytes.length; n++) {
      at += at % 2;
      if (at + 8 > bytes.length) break; // the padding byte was the last one
      const tag = latin1(bytes, at, at + 4);
      const inner = bitstreamSize(bytes, tag, at + 8);
      if (inner) {
        width = Math.max(width, inner.width);
        height = Math.max(height, inner.height);
        break;
      }
      at += 8 + view.getUint32(at + 4, true);
    }
    return found("webp", width, height, animated);
  }
  const size = bitstreamSize(bytes, first, 20);
  if (!size) return corrupt("cannot decode webp: no VP8, VP8L or VP8X chunk after the RIFF header");
  if (size.width === 0 || size.height === 0)
    return corrupt(`cannot decode webp: the header gives a size of ${size.width}x${size.height}`);
  return found("webp", size.width, size.height);
}
