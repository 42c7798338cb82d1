// Image files whose headers claim more than their bytes hold, written at test time: a 69-byte PNG
// claiming 20000x20000, a JPEG frame header claiming 60000x60000, WebP VP8X/VP8L/VP8 headers
// claiming 16384x16384. A decoder trusting them would allocate gigabytes.

/** CRC-32 (PNG's), so the forged chunks are otherwise well formed. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG whose IHDR says w x h (RGBA, 8 bits unless given), with a 12-byte IDAT (69 bytes in all). */
export function forgedPng(w: number, h: number, depth = 8, colour = 6): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([depth, colour, 0, 0, 0], 8);
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0, 0, 0, 4, 0, 1]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** SOI, an APP0 segment, a frame header (SOF0 unless given) for w x h with 3 components, EOI. */
export function forgedJpeg(w: number, h: number, sof = 0xc0): Buffer {
  const app0 = Buffer.from([
    0xff,
    0xe0,
    0,
    16,
    ...Buffer.from("JFIF\0"),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
  ]);
  const frame = Buffer.from([0xff, sof, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3]);
  const components = Buffer.from([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    app0,
    frame,
    components,
    Buffer.from([0xff, 0xd9]),
  ]);
}

function riff(chunks: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write("RIFF", 0, "latin1");
  head.writeUInt32LE(4 + chunks.length, 4);
  return Buffer.concat([head, Buffer.from("WEBP"), chunks]);
}

function webpChunk(tag: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(tag, 0, "latin1");
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload, Buffer.alloc(payload.length % 2)]);
}

/** A WebP whose header claims w x h, as an extended (VP8X), lossless (VP8L) or lossy (VP8) file. */
export function forgedWebp(w: number, h: number, kind: "VP8X" | "VP8L" | "VP8 " = "VP8X"): Buffer {
  if (kind === "VP8X") {
    const body = Buffer.alloc(10);
    body.writeUIntLE(w - 1, 4, 3);
    body.writeUIntLE(h - 1, 7, 3);
    return riff(webpChunk("VP8X", body));
  }
  if (kind === "VP8L") {
    const body = Buffer.alloc(16);
    body[0] = 0x2f;
    body.writeUInt32LE(((w - 1) & 0x3fff) | (((h - 1) & 0x3fff) << 14), 1);
    return riff(webpChunk("VP8L", body));
  }
  const body = Buffer.alloc(16);
  body.set([0x9d, 0x01, 0x2a], 3);
  body.writeUInt16LE(w & 0x3fff, 6);
  body.writeUInt16LE(h & 0x3fff, 8);
  return riff(webpChunk("VP8 ", body));
}

/** A VP8X canvas of w x h wrapping a still image bitstream chunk taken from a real WebP. */
export function webpWithCanvas(still: Buffer, w: number, h: number): Buffer {
  const body = Buffer.alloc(10);
  body.writeUIntLE(w - 1, 4, 3);
  body.writeUIntLE(h - 1, 7, 3);
  return riff(Buffer.concat([webpChunk("VP8X", body), still.subarray(12)]));
}
