// Streams a text file (optionally gzip-compressed, by `.gz` suffix) line by line, never holding
// more than one chunk and one line in memory: a line longer than the limit is passed over without
// being held and comes out as a `tooLong` line, so one huge line costs a read, not its size.
import type { FileHandle } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { MAX_LINE_BYTES } from "./limits.js";

export interface Line {
  /** Empty for a line that was too long. */
  text: string;
  /** 1-based. */
  lineNo: number;
  /** Set when the line was longer than the limit: its length in bytes (it was skipped). */
  tooLong?: number;
}

/** The gzip stream is damaged; lines before `lineNo` were read fine. */
export class GzipError extends Error {
  constructor(
    message: string,
    readonly lineNo: number,
  ) {
    super(message);
    this.name = "GzipError";
  }
}

/** The bytes of an opened file, gunzipped when `gzip`; the stream closes the handle. */
export function openByteStream(handle: FileHandle, gzip: boolean): AsyncIterable<Buffer> {
  const raw = handle.createReadStream({ highWaterMark: 256 * 1024 });
  if (!gzip) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  gunzip.on("close", () => raw.destroy());
  raw.pipe(gunzip);
  return gunzip;
}

export async function* readLines(
  stream: AsyncIterable<Buffer>,
  gzip = false,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let held = 0;
  /** Bytes of the current line once it is over the limit (then nothing of it is held). */
  let over = 0;
  let lineNo = 0;
  const take = (): Line => {
    lineNo++;
    const line: Line =
      over > 0 ? { text: "", lineNo, tooLong: over } : { text: decodeLine(parts, held), lineNo };
    parts = [];
    held = 0;
    over = 0;
    return line;
  };
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (e) {
        if (gzip && isZlibError(e)) {
          throw new GzipError(`gzip data is damaged (${(e as Error).message})`, lineNo + 1);
        }
        throw e;
      }
      if (next.done) break;
      const chunk = next.value;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        const end = nl < 0 ? chunk.length : nl;
        const piece = end - start;
        if (over > 0) over += piece;
        else if (held + piece > maxLineBytes) {
          over = held + piece;
          parts = [];
          held = 0;
        } else if (piece > 0) {
          parts.push(chunk.subarray(start, end));
          held += piece;
        }
        if (nl < 0) break;
        yield take();
        start = nl + 1;
      }
    }
    if (held > 0 || over > 0) yield take();
  } finally {
    await iterator.return?.();
  }
}

function decodeLine(parts: Buffer[], length: number): string {
  const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
  const text = bytes.toString("utf8");
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("Z_");
}
