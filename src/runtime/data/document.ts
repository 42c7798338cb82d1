// The record and document shapes shared by the source readers, the sampler and the packer.
import { readFile, stat } from "node:fs/promises";
import { decodeImage } from "./image-decode.js";
import { preprocessImage } from "./image-preprocess.js";
import type { IssueSink } from "./issues.js";
import type { ImageOptions, SourceSpec } from "./spec.js";

export type DocPart =
  { type: "text"; text: string } | { type: "image"; pixels: Float32Array; ref: string };

/** One training document, in reading order: a caption pair is [image, text]. */
export interface SourceDocument {
  source: string;
  /** File and position, for messages and inspection. */
  where: string;
  parts: DocPart[];
}

/**
 * One unit of a source file (a tar sample group, a JSONL line, a text paragraph). Reading a
 * record is cheap; `load` does the parsing and decoding, so a resumed stream can skip records fast.
 */
export interface RawRecord {
  where: string;
  /** The document, or null when the record is unusable (the issue is already reported). */
  load(): Promise<SourceDocument | null>;
}

export interface ReadContext {
  spec: SourceSpec;
  issues: IssueSink;
  image: ImageOptions;
  /** Files already reported missing or broken, so each is reported once, not every epoch. */
  reported: Set<string>;
  maxEntryBytes?: number;
  /** Records held by the per-pass shuffle buffer; 0 or 1 reads in file order. */
  shuffleBuffer?: number;
}

export function reportOnce(
  ctx: ReadContext,
  file: string,
  code: "missing-file" | "corrupt-archive" | "corrupt-gzip",
  message: string,
  fix: string,
  position?: string,
): void {
  if (ctx.reported.has(file)) return;
  ctx.reported.add(file);
  ctx.issues.report({ code, source: ctx.spec.name, file, position, message, fix });
}

export async function fileExists(ctx: ReadContext, file: string): Promise<boolean> {
  try {
    if ((await stat(file)).isFile()) return true;
  } catch {
    // reported below
  }
  reportOnce(
    ctx,
    file,
    "missing-file",
    "file does not exist",
    "check the source path and brace range in the data spec",
  );
  return false;
}

export function isUrl(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}

/** Decodes and preprocesses an image, or reports why it cannot and returns null. */
export async function loadImageBytes(
  ctx: ReadContext,
  bytes: Uint8Array,
  file: string,
  position: string,
): Promise<Float32Array | null> {
  const decoded = await decodeImage(bytes);
  if (decoded.ok) return preprocessImage(decoded.image, ctx.image);
  ctx.issues.report({
    code: decoded.reason === "unsupported" ? "unsupported-image" : "corrupt-image",
    source: ctx.spec.name,
    file,
    position,
    message: decoded.message,
    fix:
      decoded.reason === "unsupported"
        ? "convert the image to a still PNG, JPEG or WebP"
        : "re-encode or remove the image",
  });
  return null;
}

export async function loadImageFile(
  ctx: ReadContext,
  path: string,
  referencedFrom: string,
  position: string,
): Promise<Float32Array | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    ctx.issues.report({
      code: "missing-file",
      source: ctx.spec.name,
      file: referencedFrom,
      position,
      message: `image ${path} cannot be read`,
      fix: "image paths are relative to the JSONL file; check that the file exists",
    });
    return null;
  }
  return loadImageBytes(ctx, bytes, path, `referenced from ${referencedFrom}: ${position}`);
}
