// Shared by the JSONL and text readers: non-blank lines of every file in order, with missing files
// and damaged gzip reported once and skipped, and a JSON parse that reports malformed lines.
import type { ReadContext } from "./document.js";
import { fileExists, reportOnce } from "./document.js";
import { GzipError, readLines, type Line } from "./line-reader.js";

export interface FileLine extends Line {
  file: string;
}

export async function* readSourceLines(
  ctx: ReadContext,
  files: string[],
  keepBlank = false,
): AsyncGenerator<FileLine> {
  for (const file of files) {
    if (!(await fileExists(ctx, file))) continue;
    try {
      for await (const line of readLines(file)) {
        if (keepBlank || line.text.trim() !== "") yield { ...line, file };
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
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (e) {
    ctx.issues.report({
      code: "malformed-json",
      source: ctx.spec.name,
      file: line.file,
      position: `line ${line.lineNo}`,
      message: `invalid JSON: ${(e as Error).message}`,
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
