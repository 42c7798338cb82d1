// Images a user names for generation: a command-line path (a regular file within the size limit)
// or a path inside a requests file (contained in that file's folder, as data files' paths are),
// then the same header checks, decoding and preprocessing as training's images.
import { AllowedFolders, readBounded, readContained } from "../data/contained-file.js";
import { checkImageHeader, decodeImage } from "../data/image-decode.js";
import { preprocessImage } from "../data/image-preprocess.js";
import { DEFAULT_LIMITS } from "../data/limits.js";
import { showText } from "../data/show-text.js";
import { resolveImageOptions, type ResizeMode } from "../data/spec.js";

export type ImageLoad = { ok: true; pixels: Float32Array } | { ok: false; message: string };

async function decodeFor(
  bytes: Uint8Array,
  size: number,
  shown: string,
  resize: ResizeMode = "auto",
): Promise<ImageLoad> {
  const checked = checkImageHeader(bytes, DEFAULT_LIMITS.megapixels);
  const decoded = checked.ok ? await decodeImage(bytes, DEFAULT_LIMITS.megapixels) : checked;
  if (!decoded.ok) return { ok: false, message: `image ${shown}: ${decoded.message}` };
  return {
    ok: true,
    pixels: preprocessImage(decoded.image, resolveImageOptions({ size, resize })),
  };
}

/** An image given on the command line. */
export async function loadImagePath(
  path: string,
  size: number,
  resize?: ResizeMode,
): Promise<ImageLoad> {
  const shown = `\`${showText(path)}\``;
  const read = await readBounded(path, `image ${shown}`, DEFAULT_LIMITS.fileBytes);
  if (!read.ok) return { ok: false, message: `${read.message} (${read.fix})` };
  return decodeFor(read.bytes, size, shown, resize);
}

/** An image a requests file names, relative to that file and kept inside its folder. */
export async function loadImageRef(
  ref: string,
  namingFile: string,
  size: number,
  allowed = new AllowedFolders(),
  resize?: ResizeMode,
): Promise<ImageLoad> {
  const read = await readContained(ref, namingFile, allowed, DEFAULT_LIMITS.fileBytes);
  if (!read.ok) return { ok: false, message: `${read.message} (${read.fix})` };
  return decodeFor(read.bytes, size, `\`${showText(ref)}\``, resize);
}

/** Images [n, 3, size, size] as one array, in order. */
export function concatImages(images: readonly Float32Array[]): Float32Array | undefined {
  if (images.length === 0) return undefined;
  const out = new Float32Array(images.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of images) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}
