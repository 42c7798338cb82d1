// Shared by the JSONL and text readers: non-blank lines of every file in order, with missing files
// and damaged gzip reported once and skipped, and a JSON parse that reports malformed and
// overlong lines.
import type { ReadContext } from "./document.js";
import { limitsOf, openSourceFile, reportOnce } from "./document.js";
import { formatBytes } from "./limits.js";
import { GzipError, openByteStream, readLines, type Line } from "./line-reader.js";
import { showText } from "./show-text.js";

export interface FileLine extends Line {
  file: string;
}

export async function* readSourceLines(
  ctx: ReadContext,
  files: string[],
  keepBlank = false,
): AsyncGenerator<FileLine> {
  const { lineBytes } = limitsOf(ctx);
  for (const file of files) {
    const handle = await openSourceFile(ctx, file);
    if (!handle) continue;
    const gzip = file.endsWith(".gz");
    try {
      for await (const line of readLines(openByteStream(handle, gzip), gzip, lineBytes)) {
        if (keepBlank || line.tooLong || line.text.trim() !== "") yield { ...line, file };
      }
    } catch (e) {
      if (!(e instanceof GzipError)) throw e;
      reportOnce(
        ctx,
        file,
        "corrupt-gzip",
        `${e.message}; the rest of this file is skipped`,
        "re-compress the file with gzip",
        `line ${e.lineNo}`,
      );
    }
  }
}

/** The line as a JSON object, or null after reporting why not. */
export function parseJsonLine(ctx: ReadContext, line: FileLine): Record<string, unknown> | null {
  if (line.tooLong !== undefined) return reportLongLine(ctx, line, line.tooLong);
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (e) {
    ctx.issues.report({
      code: "malformed-json",
      source: ctx.spec.name,
      file: line.file,
      position: `line ${line.lineNo}`,
      message: `invalid JSON: ${showText((e as Error).message)}`,
      fix: "each line must be one complete JSON object",
    });
    return null;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    badRecord(ctx, line, "line is not a JSON object", "write one JSON object per line");
    return null;
  }
  return value as Record<string, unknown>;
}

export function badRecord(ctx: ReadContext, line: FileLine, message: string, fix: string): null {
  ctx.issues.report({
    code: "bad-record",
    source: ctx.spec.name,
    file: line.file,
    position: `line ${line.lineNo}`,
    message,
    fix,
  });
  return null;
}

/** A line over the limit was passed over unread; it is one skipped record. */
export function reportLongLine(ctx: ReadContext, line: FileLine, bytes: number): null {
  ctx.issues.report({
    code: "line-too-long",
    source: ctx.spec.name,
    file: line.file,
    position: `line ${line.lineNo}`,
    message: `line is ${formatBytes(bytes)}, over the ${formatBytes(limitsOf(ctx).lineBytes)} limit for one line; it is skipped unread`,
    fix: "split the record, or check that the file really is JSONL (one object per line)",
  });
  return null;
}
