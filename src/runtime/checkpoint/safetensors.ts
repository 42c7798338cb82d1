// The safetensors format, read and written by hand: an 8-byte little-endian header length, a
// JSON header (dtype, shape, byte offsets per tensor, plus a string-to-string `__metadata__`),
// then the raw little-endian data. F32 and I32 are all a checkpoint needs.

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
        `tensor \`${name}\` has ${t.data.length} values for shape [${t.shape.join(", ")}]`,
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

function toLittleEndianBytes(data: Float32Array | Int32Array): Uint8Array {
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

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Decodes a safetensors buffer; throws on a malformed header or an unsupported dtype. */
export function decodeSafetensors(bytes: Uint8Array): StFile {
  if (bytes.length < 8) throw new Error("not a safetensors file: shorter than 8 bytes");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > bytes.length)
    throw new Error("not a safetensors file: header runs past the end");
  const header = JSON.parse(
    Buffer.from(bytes.subarray(8, 8 + headerLen)).toString("utf8"),
  ) as Record<string, unknown>;
  const base = 8 + headerLen;
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = value as Record<string, string>;
      continue;
    }
    const e = value as HeaderEntry;
    if (e.dtype !== "F32" && e.dtype !== "I32")
      throw new Error(`tensor \`${name}\`: unsupported dtype ${e.dtype}`);
    const [start, end] = e.data_offsets;
    if (base + end > bytes.length || start > end)
      throw new Error(`tensor \`${name}\`: data runs past the end`);
    // A fresh, aligned copy (a Node Buffer's slice would be a view into a shared pool).
    const copy = new Uint8Array(end - start);
    copy.set(bytes.subarray(base + start, base + end));
    const data = fromLittleEndian(copy, e.dtype);
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
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
