// A small streaming reader for ustar archives (512-byte blocks), enough for WebDataset shards:
// regular files, pax `path`/`size` records and GNU long names; anything else is skipped. Sizes are
// checked before anything is allocated: an entry over the limit is skipped unread.
import { ByteQueue } from "./byte-queue.js";
import { formatBytes, MAX_FILE_BYTES, MAX_TAR_HEADER_BYTES } from "./limits.js";

const BLOCK = 512;

export interface TarEntry {
  name: string;
  size: number;
  /** Byte offset of the entry's header in the archive. */
  offset: number;
  /** The file's bytes, or null when it was larger than `maxEntryBytes` and skipped. */
  data: Buffer | null;
}

/** The archive is malformed at `offset`; entries before it were read fine. */
export class TarFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "TarFormatError";
  }
}

export interface TarReadOptions {
  /** Entries larger than this are skipped (data null) rather than held in memory. Default 64 MiB. */
  maxEntryBytes?: number;
}

export async function* readTar(
  stream: AsyncIterable<Buffer | string>,
  options: TarReadOptions = {},
): AsyncGenerator<TarEntry> {
  const maxEntryBytes = options.maxEntryBytes ?? MAX_FILE_BYTES;
  const q = new ByteQueue(stream);
  let longName: string | null = null;
  let paxPath: string | null = null;
  let paxSize: number | null = null;
  try {
    for (;;) {
      const offset = q.offset;
      const header = await q.read(BLOCK);
      if (header.length === 0) return; // tolerate archives without the two zero blocks
      if (header.length < BLOCK) throw new TarFormatError("archive ends inside a header", offset);
      if (isZero(header)) return;
      if (!checksumOk(header)) {
        throw new TarFormatError("header checksum does not match (not a tar file?)", offset);
      }
      const type = String.fromCharCode(header[156] ?? 0);
      const size = paxSize ?? parseNumber(header.subarray(124, 136));
      if (!Number.isSafeInteger(size) || size < 0)
        throw new TarFormatError("bad size field in header", offset);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      let name = longName ?? paxPath ?? headerName(header);
      longName = null;
      paxPath = null;
      paxSize = null;

      if (type === "x" || type === "L") {
        if (size > MAX_TAR_HEADER_BYTES)
          throw new TarFormatError(
            `an extended header claims ${formatBytes(size)}, over the ${formatBytes(MAX_TAR_HEADER_BYTES)} limit`,
            offset,
          );
        const body = await readExact(q, size, offset);
        await skipExact(q, padded - size, offset);
        if (type === "L") longName = body.toString("utf8").replace(/\0+$/, "");
        else [paxPath, paxSize] = parsePax(body);
        continue;
      }
      if (type !== "0" && type !== "\0" && type !== "7") {
        await skipExact(q, padded, offset);
        continue;
      }
      if (name.startsWith("./")) name = name.slice(2);
      if (size > maxEntryBytes) {
        await skipExact(q, padded, offset);
        yield { name, size, offset, data: null };
        continue;
      }
      // copied, so a record kept in a shuffle buffer does not pin the whole read chunk
      const data = Buffer.from(await readExact(q, size, offset));
      await skipExact(q, padded - size, offset);
      yield { name, size, offset, data };
    }
  } finally {
    await q.close();
  }
}

async function readExact(q: ByteQueue, n: number, offset: number): Promise<Buffer> {
  const b = await q.read(n);
  if (b.length < n) throw new TarFormatError("archive is truncated inside an entry", offset);
  return b;
}

async function skipExact(q: ByteQueue, n: number, offset: number): Promise<void> {
  if ((await q.skip(n)) < n)
    throw new TarFormatError("archive is truncated inside an entry", offset);
}

function isZero(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function checksumOk(header: Buffer): boolean {
  const stored = parseNumber(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return stored === sum;
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("utf8");
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString("latin1") === "ustar";
  const prefix = isUstar ? cString(header.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal text, or GNU base-256 when the high bit of the first byte is set. */
function parseNumber(field: Buffer): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    let v = first & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + (field[i] ?? 0);
    return v;
  }
  const text = cString(field).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return -1;
  return parseInt(text, 8);
}

/**
 * `path` and `size` from pax records (`LEN key=value\n`). LEN counts bytes, so records are cut
 * from the bytes and only then decoded: a name with non-ASCII characters is shorter as text.
 */
function parsePax(body: Buffer): [string | null, number | null] {
  let path: string | null = null;
  let size: number | null = null;
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space < 0) break;
    const digits = body.toString("latin1", pos, space);
    const len = /^\d+$/.test(digits) ? Number(digits) : 0;
    if (len <= 0) break;
    const record = body.toString("utf8", space + 1, Math.min(pos + len - 1, body.length));
    const eq = record.indexOf("=");
    const key = eq < 0 ? "" : record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (key === "path") path = value;
    // a size that is not a whole number is refused by the caller
    if (key === "size") size = /^\d+$/.test(value) ? Number(value) : -1;
    pos += len;
  }
  return [path, size];
}
