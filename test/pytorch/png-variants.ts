// PNGs in the forms pngjs and Pillow must agree on, written at test time: every colour type and
// bit depth, palettes with tRNS, a transparent colour key, Adam7 interlacing and all five filters.
import { deflateSync } from "node:zlib";

export interface PngVariant {
  width: number;
  height: number;
  colour: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** Sample `c` of pixel (x, y), in 0 .. 2^depth - 1 (a palette index for colour type 3). */
  sample: (x: number, y: number, c: number) => number;
  palette?: [number, number, number][];
  trns?: Buffer;
  interlace?: boolean;
  /** Filter type of each row, cycled; default all five. */
  filters?: number[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** One scanline's bytes, samples packed big-endian at the bit depth. */
function packRow(v: PngVariant, xs: number[], y: number): Buffer {
  const n = CHANNELS[v.colour];
  const bits = xs.length * n * v.depth;
  const row = Buffer.alloc(Math.ceil(bits / 8));
  let bit = 0;
  for (const x of xs) {
    for (let c = 0; c < n; c++) {
      const s = v.sample(x, y, c);
      if (v.depth === 16) row.writeUInt16BE(s, bit / 8);
      else if (v.depth === 8) row[bit / 8] = s;
      else row[bit >> 3]! |= s << (8 - v.depth - (bit & 7));
      bit += v.depth;
    }
  }
  return row;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function filterRow(type: number, row: Buffer, prior: Buffer, bpp: number): Buffer {
  const out = Buffer.alloc(row.length + 1);
  out[0] = type;
  for (let i = 0; i < row.length; i++) {
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prior[i] ?? 0;
    const c = i >= bpp ? (prior[i - bpp] ?? 0) : 0;
    const predict = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
    out[i + 1] = (row[i]! - predict) & 0xff;
  }
  return out;
}

export function encodeVariantPng(v: PngVariant): Buffer {
  const bpp = Math.max(1, (CHANNELS[v.colour] * v.depth) / 8);
  const filters = v.filters ?? [0, 1, 2, 3, 4];
  const passes = v.interlace ? ADAM7 : ([[0, 0, 1, 1]] as [number, number, number, number][]);
  const lines: Buffer[] = [];
  let line = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < v.width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    let prior: Buffer = Buffer.alloc(0);
    for (let y = y0; y < v.height; y += dy) {
      const row = packRow(v, xs, y);
      lines.push(filterRow(filters[line++ % filters.length]!, row, prior, bpp));
      prior = row;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(v.width, 0);
  ihdr.writeUInt32BE(v.height, 4);
  ihdr.set([v.depth, v.colour, 0, 0, v.interlace ? 1 : 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    ...(v.palette ? [pngChunk("PLTE", Buffer.from(v.palette.flat()))] : []),
    ...(v.trns ? [pngChunk("tRNS", v.trns)] : []),
    pngChunk("IDAT", deflateSync(Buffer.concat(lines))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}
