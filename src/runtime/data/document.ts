// The record and document shapes shared by the source readers, the sampler and the packer.
import type { FileHandle } from "node:fs/promises";
import { AllowedFolders, openRegular, readContained } from "./contained-file.js";
import { checkImageHeader, decodeImage } from "./image-decode.js";
import { fitProblem } from "./image-preprocess.js";
import { encoderPixels } from "./image-tiles.js";
import type { DataIssueCode, IssueSink } from "./issues.js";
import { resolveLimits, type DataLimits } from "./limits.js";
import { showText } from "./show-text.js";
import type { ImageOptions, SourceSpec } from "./spec.js";

/**
 * A text part with `target` set comes from a conversation: it is tokenized on its own, and only
 * `target: true` text is trained on (see conversation.ts); without it, all text is a target.
 */
export type DocPart =
  | { type: "text"; text: string; target?: boolean }
  | { type: "image"; pixels: Float32Array; ref: string };

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
  /** About how many bytes the record holds until it is loaded (for the shuffle buffer's limit). */
  bytes?: number;
  /** The document, or null when the record is unusable (the issue is already reported). */
  load(): Promise<SourceDocument | null>;
}

export interface ReadContext {
  spec: SourceSpec;
  issues: IssueSink;
  image: ImageOptions;
  /** Files already reported missing or broken, so each is reported once, not every epoch. */
  reported: Set<string>;
  /** Folders files named by records may be in, besides the naming file's own (`roots`). */
  allowed?: AllowedFolders;
  /** Size limits; DEFAULT_LIMITS where absent. */
  limits?: Partial<DataLimits>;
  /** Records held by the per-pass shuffle buffer; 0 or 1 reads in file order. */
  shuffleBuffer?: number;
}

export function limitsOf(ctx: ReadContext): DataLimits {
  return resolveLimits(ctx.limits);
}

export function reportOnce(
  ctx: ReadContext,
  file: string,
  code: "missing-file" | "not-regular-file" | "corrupt-archive" | "corrupt-gzip",
  message: string,
  fix: string,
  position?: string,
): void {
  if (ctx.reported.has(file)) return;
  ctx.reported.add(file);
  ctx.issues.report({ code, source: ctx.spec.name, file, position, message, fix, scope: "file" });
}

/**
 * Opens a source file the spec names (a shard, a JSONL file). Where it lies is the user's choice,
 * but it must be a regular file: a device or FIFO would be read forever. Null once reported.
 */
export async function openSourceFile(ctx: ReadContext, file: string): Promise<FileHandle | null> {
  const opened = await openRegular(file, "the file");
  if (opened.ok) return opened.handle;
  const missing = opened.code === "missing-file";
  reportOnce(
    ctx,
    file,
    missing ? "missing-file" : "not-regular-file",
    opened.message.replace(/^the file /, missing ? "file " : "the source file "),
    missing
      ? "check the source path and brace range in the data spec"
      : "point the source at regular files",
  );
  return null;
}

export function isUrl(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}

/** Pixels a record may still decode (MAX_RECORD_MEGAPIXELS for all its images together). */
export interface PixelBudget {
  left: number;
  /** An image did not fit: the record is refused. */
  exceeded: boolean;
}

export function pixelBudget(ctx: ReadContext): PixelBudget {
  return { left: limitsOf(ctx).recordMegapixels * 1e6, exceeded: false };
}

/**
 * Checks the header (size limits, the record's pixel budget), then decodes and preprocesses an
 * image; or reports why it cannot and returns null.
 */
export async function loadImageBytes(
  ctx: ReadContext,
  bytes: Uint8Array,
  file: string,
  position: string,
  budget?: PixelBudget,
): Promise<Float32Array | null> {
  const report = (code: DataIssueCode, message: string, fix: string): null => {
    ctx.issues.report({ code, source: ctx.spec.name, file, position, message, fix });
    return null;
  };
  const { megapixels, recordMegapixels } = limitsOf(ctx);
  const checked = checkImageHeader(bytes, megapixels);
  if (checked.ok && checked.header && budget) {
    const pixels = checked.header.width * checked.header.height;
    if (pixels > budget.left) {
      budget.exceeded = true;
      return report(
        "record-too-large",
        `image is ${checked.header.width}x${checked.header.height}, past the ${recordMegapixels} MP limit for all the images of one record`,
        "split the document or use smaller images",
      );
    }
    budget.left -= pixels;
  }
  const decoded = checked.ok ? await decodeImage(bytes, megapixels) : checked;
  if (decoded.ok) {
    const { width, height } = decoded.image;
    const tooLarge = fitProblem(width, height, ctx.image, megapixels);
    if (tooLarge)
      return report(
        "image-too-large",
        tooLarge,
        "crop the image nearer to square, or use `fit: crop`",
      );
    return encoderPixels(decoded.image, ctx.image);
  }
  if (decoded.reason === "too-large")
    return report("image-too-large", decoded.message, "resize the image before training");
  if (decoded.reason === "unsupported")
    return report(
      "unsupported-image",
      decoded.message,
      "convert the image to a still PNG, JPEG or WebP",
    );
  return report("corrupt-image", decoded.message, "re-encode or remove the image");
}

/** An image a record names by path: contained in the allowed folders, then loaded. */
export async function loadImageFile(
  ctx: ReadContext,
  ref: string,
  referencedFrom: string,
  position: string,
  budget?: PixelBudget,
): Promise<Float32Array | null> {
  const read = await readContained(
    ref,
    referencedFrom,
    ctx.allowed ?? NO_ROOTS,
    limitsOf(ctx).fileBytes,
  );
  if (!read.ok) {
    ctx.issues.report({
      code: read.code,
      source: ctx.spec.name,
      file: referencedFrom,
      position,
      message: read.message,
      fix: read.fix,
    });
    return null;
  }
  return loadImageBytes(
    ctx,
    read.bytes,
    referencedFrom,
    `${position} (\`${showText(ref)}\`)`,
    budget,
  );
}

const NO_ROOTS = new AllowedFolders();
