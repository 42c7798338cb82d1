// Images a user names for generation: a command-line path (a regular file within the size limit)
// or a path inside a requests file (contained in that file's folder, as data files' paths are),
// then the same header checks, decoding and preprocessing as training's images: a tiled model's
// image becomes its overview and crops ([passes, 3, S, S], data/image-tiles.ts) as in training.
import type { TilesConfig } from "../../components/tiles.js";
import { AllowedFolders, readBounded, readContained } from "../data/contained-file.js";
import { checkImageHeader, decodeImage, type RgbaImage } from "../data/image-decode.js";
import { fitProblem } from "../data/image-preprocess.js";
import { encoderPixels } from "../data/image-tiles.js";
import { DEFAULT_LIMITS } from "../data/limits.js";
import { showText } from "../data/show-text.js";
import { resolveImageOptions, type FitMode, type ResizeMode } from "../data/spec.js";

export type ImageLoad = { ok: true; pixels: Float32Array } | { ok: false; message: string };

/** What the model's encoder reads: crops of `size` px, and the model's `tiles` if it has them. */
export interface ImageInput {
  readonly size: number;
  readonly tiles?: TilesConfig;
  /** The data block's `resize`, so images are resampled as in training; absent is "auto". */
  readonly resize?: ResizeMode;
  /** The data block's `fit` (`pad`: the image padded to a square first); absent is "crop". */
  readonly fit?: FitMode;
}

/** Decoded pixels as the model reads them: [3, S, S], or a tiled model's [passes, 3, S, S]. */
export function encoderInput(image: RgbaImage, input: ImageInput): Float32Array {
  return encoderPixels(image, optionsOf(input));
}

function optionsOf(input: ImageInput) {
  return resolveImageOptions({
    size: input.size,
    ...(input.tiles ? { tiles: input.tiles } : {}),
    ...(input.resize ? { resize: input.resize } : {}),
    ...(input.fit ? { fit: input.fit } : {}),
  });
}

async function decodeFor(bytes: Uint8Array, input: ImageInput, shown: string): Promise<ImageLoad> {
  const checked = checkImageHeader(bytes, DEFAULT_LIMITS.megapixels);
  const decoded = checked.ok ? await decodeImage(bytes, DEFAULT_LIMITS.megapixels) : checked;
  if (!decoded.ok) return { ok: false, message: `image ${shown}: ${decoded.message}` };
  const { width, height } = decoded.image;
  const tooLarge = fitProblem(width, height, optionsOf(input), DEFAULT_LIMITS.megapixels);
  if (tooLarge) return { ok: false, message: `image ${shown}: ${tooLarge}` };
  return { ok: true, pixels: encoderInput(decoded.image, input) };
}

/** An image given on the command line. */
export async function loadImagePath(path: string, input: ImageInput): Promise<ImageLoad> {
  const shown = `\`${showText(path)}\``;
  const read = await readBounded(path, `image ${shown}`, DEFAULT_LIMITS.fileBytes);
  if (!read.ok) return { ok: false, message: `${read.message} (${read.fix})` };
  return decodeFor(read.bytes, input, shown);
}

/** An image a requests file names, relative to that file and kept inside its folder. */
export async function loadImageRef(
  ref: string,
  namingFile: string,
  input: ImageInput,
  allowed = new AllowedFolders(),
): Promise<ImageLoad> {
  const read = await readContained(ref, namingFile, allowed, DEFAULT_LIMITS.fileBytes);
  if (!read.ok) return { ok: false, message: `${read.message} (${read.fix})` };
  return decodeFor(read.bytes, input, `\`${showText(ref)}\``);
}

/** Images [n, 3, size, size] (a tiled image: its passes) as one array, in order. */
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
