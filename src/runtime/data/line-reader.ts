// Streams a text file (optionally gzip-compressed, by `.gz` suffix) line by line, never holding
// more than one chunk and one line in memory.
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";

export interface Line {
  text: string;
  /** 1-based. */
  lineNo: number;
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

export function openByteStream(path: string): AsyncIterable<Buffer> {
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!path.endsWith(".gz")) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  return gunzip;
}

export async function* readLines(path: string): AsyncGenerator<Line> {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let lineNo = 0;
  const stream = openByteStream(path);
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (e) {
        if (path.endsWith(".gz") && isZlibError(e)) {
          throw new GzipError(`gzip data is damaged (${(e as Error).message})`, lineNo + 1);
        }
        throw e;
      }
      if (next.done) break;
      carry += decoder.write(next.value);
      let start = 0;
      for (;;) {
        const nl = carry.indexOf("\n", start);
        if (nl < 0) break;
        lineNo++;
        const end = nl > start && carry.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        yield { text: carry.slice(start, end), lineNo };
        start = nl + 1;
      }
      carry = carry.slice(start);
    }
    carry += decoder.end();
    if (carry.length > 0) yield { text: carry.replace(/\r$/, ""), lineNo: lineNo + 1 };
  } finally {
    await iterator.return?.();
  }
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("Z_");
}
