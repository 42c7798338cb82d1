// The safetensors format, read and written by hand: an 8-byte little-endian header length, a
// JSON header (dtype, shape, byte offsets per tensor, plus a string-to-string `__metadata__`),
// then the raw little-endian data. F32 and I32 are all a checkpoint needs; pretrained weights
// (`init`) may also be BF16 or F16, widened to fp32 exactly (`toFloat32`).

import { escapeControls } from "../escape.js";

export type StDtype = "F32" | "I32";

export interface StTensor {
  readonly dtype: StDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

export interface StFile {
  readonly tensors: Map<string, StTensor>;
  readonly metadata: Record<string, string>;
}

/** Encodes tensors (in the given order) and metadata into one buffer. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, StTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length)
      throw new Error(
        `tensor \`${escapeControls(name)}\` has ${t.data.length} values for shape [${t.shape.join(", ")}]`,
      );
    header[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(toLittleEndianBytes(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A tensor's data as the little-endian bytes a file holds (a view where the machine is little-endian). */
export function toLittleEndianBytes(data: Float32Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3] as number;
    out[i + 1] = bytes[i + 2] as number;
    out[i + 2] = bytes[i + 1] as number;
    out[i + 3] = bytes[i] as number;
  }
  return out;
}

/** The bytes are not a well-formed safetensors file; `message` says what is wrong, in words. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

function isOffsets(x: unknown): x is [number, number] {
  return (
    Array.isArray(x) &&
    x.length === 2 &&
    x.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
  );
}

/** Every dtype the safetensors format defines, with its size in bytes (F8s are one byte). */
export const ST_DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/**
 * The most header bytes read: real headers are kilobytes (a 70B model's shard about 100 KB);
 * a larger length is a garbled or hostile file, refused before anything is allocated.
 */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** One tensor of a header: where its bytes lie in the data region (after the header). */
export interface StHeaderEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly start: number;
  readonly end: number;
}

export interface StHeader {
  readonly entries: readonly StHeaderEntry[];
  readonly metadata: Record<string, string>;
  /** Bytes before the data region: 8 plus the header length. */
  readonly dataStart: number;
}

/** The header length the first 8 bytes give, checked against the cap and the file size. */
export function headerLength(first8: Uint8Array, fileSize: number): number {
  if (first8.length < 8 || fileSize < 8)
    throw new SafetensorsError(`it has ${fileSize} bytes, fewer than the 8 of a header length`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const big = view.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(
      `its header is said to be ${big} bytes, more than the ${MAX_HEADER_BYTES} mmc reads: the file is garbled or not safetensors`,
    );
  const headerLen = Number(big);
  if (8 + headerLen > fileSize)
    throw new SafetensorsError(
      `its header is said to be ${headerLen} bytes but the file has only ${fileSize}: it is truncated or garbled`,
    );
  return headerLen;
}

/**
 * Parses and checks a header's JSON (the bytes after the length) for a file of `fileSize` bytes:
 * every tensor has a known dtype, a shape and offsets that agree, lies inside the file, and the
 * tensors tile the data region exactly (no gaps, no overlaps, nothing after). Never reads data.
 */
export function parseSafetensorsHeader(json: Uint8Array, fileSize: number): StHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch {
    throw new SafetensorsError("its header is not valid JSON: the file is garbled");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new SafetensorsError("its header is not a JSON object: the file is garbled");
  const base = 8 + json.length;
  const dataBytes = fileSize - base;
  const entries: StHeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (
        typeof value !== "object" ||
        value === null ||
        Object.values(value).some((v) => typeof v !== "string")
      )
        throw new SafetensorsError(
          "its `__metadata__` is not a map of strings: the file is garbled",
        );
      metadata = value as Record<string, string>;
      continue;
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== "object")
      throw new SafetensorsError(
        `tensor \`${escapeControls(name)}\` has no dtype, shape and offsets: the file is garbled`,
      );
    const width = typeof e.dtype === "string" ? ST_DTYPE_BYTES[e.dtype] : undefined;
    if (width === undefined || typeof e.dtype !== "string")
      throw new SafetensorsError(
        `tensor \`${escapeControls(name)}\` has dtype ${escapeControls(String(JSON.stringify(e.dtype)).slice(0, 40))}, which safetensors does not define: the file is garbled`,
      );
    if (!isShape(e.shape) || !isOffsets(e.data_offsets))
      throw new SafetensorsError(
        `tensor \`${escapeControls(name)}\` has a malformed shape or offsets: the file is garbled`,
      );
    const [start, end] = e.data_offsets;
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (end < start || end - start !== size * width)
      throw new SafetensorsError(
        `tensor \`${escapeControls(name)}\` is [${e.shape.join(", ")}] but its offsets span ${end - start} bytes: the file is garbled`,
      );
    if (end > dataBytes)
      throw new SafetensorsError(
        `tensor \`${escapeControls(name)}\` runs past the end of the file (its data ends at byte ${base + end} of ${fileSize}): the file is truncated`,
      );
    entries.push({ name, dtype: e.dtype, shape: e.shape, start, end });
  }
  // The tensors must tile the data region exactly: no gaps, no overlaps, nothing after.
  const sorted = [...entries].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const e of sorted) {
    if (e.start !== at)
      throw new SafetensorsError(
        e.start < at
          ? `tensor \`${escapeControls(e.name)}\` overlaps the one before it: the file is garbled`
          : `tensor \`${escapeControls(e.name)}\` does not start where the one before it ends: the file is garbled`,
      );
    at = e.end;
  }
  if (at !== dataBytes)
    throw new SafetensorsError(
      `the file has ${dataBytes - at} bytes after its last tensor: it is garbled or was appended to`,
    );
  return { entries: sorted, metadata, dataStart: base };
}

/**
 * Decodes a safetensors buffer. Strict, so a truncated or garbled file is an error, never a
 * half-read model: the header must parse, every tensor's dtype, shape and offsets must agree, the
 * tensors must tile the data exactly, and the file must end where the data does.
 */
export function decodeSafetensors(bytes: Uint8Array): StFile {
  const headerLen = headerLength(bytes.subarray(0, 8), bytes.length);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLen), bytes.length);
  const tensors = new Map<string, StTensor>();
  for (const e of header.entries) {
    if (e.dtype !== "F32" && e.dtype !== "I32")
      throw new SafetensorsError(
        `tensor \`${escapeControls(e.name)}\` has dtype ${e.dtype}; only F32 and I32 are read`,
      );
    // A fresh, aligned copy (a Node Buffer's slice would be a view into a shared pool).
    const copy = new Uint8Array(e.end - e.start);
    copy.set(bytes.subarray(header.dataStart + e.start, header.dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: fromLittleEndian(copy, e.dtype) });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * A tensor's values as fp32, from F32, BF16 or F16 bytes (little-endian). Both 16-bit formats
 * widen exactly: bf16 is the top half of an fp32, and every fp16 value is an fp32 value.
 */
export function toFloat32(bytes: Uint8Array, dtype: "F32" | "BF16" | "F16"): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") {
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const n = bytes.length / 2;
  const out = new Float32Array(n);
  if (dtype === "BF16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  return out;
}

/** An IEEE half's value (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function fromLittleEndian(copy: Uint8Array, dtype: StDtype): Float32Array | Int32Array {
  const n = copy.length / 4;
  if (LITTLE_ENDIAN)
    return dtype === "F32"
      ? new Float32Array(copy.buffer, 0, n)
      : new Int32Array(copy.buffer, 0, n);
  const dv = new DataView(copy.buffer);
  const data = dtype === "F32" ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++)
    data[i] = dtype === "F32" ? dv.getFloat32(i * 4, true) : dv.getInt32(i * 4, true);
  return data;
}
