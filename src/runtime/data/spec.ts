// The plain data description the checker hands to the runtime: which sources, how they mix,
// and how text becomes tokens. Pure types and defaults; no I/O.
import type { TilesConfig } from "../../components/tiles.js";

export interface SourceSpec {
  name: string;
  kind: "caption" | "interleaved" | "text" | "conversation";
  format: "webdataset" | "jsonl" | "text";
  /** May contain brace ranges like `caption-{0000..0003}.tar`; relative to `DataSpec.baseDir`. */
  path: string;
  /** Text field for jsonl text sources; default "text". */
  field?: string;
  /** Normalised so all weights sum to 1 (the sampler renormalises defensively). */
  weight: number;
}

export interface DataSpec {
  name: string;
  baseDir: string;
  sources: SourceSpec[];
  /**
   * Folders, besides each data file's own, that paths in records may point into (`roots` in the
   * data block); relative to `baseDir` or absolute.
   */
  roots?: readonly string[];
  weighting: "samples" | "tokens";
  imagesPerSequence: number;
  tokenizer: { kind: "bytes" } | { kind: "bpe"; path: string };
  seed?: number;
  /** `resize` in the data block: how images are resampled; absent is "auto". */
  resize?: ResizeMode;
  /** `fit` in the data block: how an image is made square; absent is "crop". */
  fit?: FitMode;
}

/** How images are resampled (`resize` in a data block). */
export type ResizeMode = "auto" | "bilinear" | "area" | "bicubic";

/**
 * How a non-square image is made square (`fit` in a data block): "crop" takes the centred
 * square; "pad" is LLaVA-1.5's `image_aspect_ratio: pad` (`expand2square`): the image pasted on
 * a square of side max(w, h) filled with the normalisation mean as 8-bit colour.
 */
export type FitMode = "crop" | "pad";

/** How images become encoder input. Defaults: 64 px, CLIP mean/std, area/bilinear by scale. */
export interface ImageOptions {
  /** Square side the encoder reads, in pixels. */
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /**
   * "auto" uses area averaging when shrinking and bilinear when enlarging; "bicubic" is Pillow's
   * bicubic in CLIP's order (shortest edge, then the centre crop), what pretrained CLIP towers see.
   */
  resize: ResizeMode;
  /**
   * "crop" (the default) takes the centred square; "pad" first pastes the image on a square of
   * side max(w, h) filled with `mean` as 8-bit colour (image-preprocess.ts's expandToSquare).
   * Not for tiled images (the checker refuses it with `tiles`; tileImage throws).
   */
  fit: FitMode;
  /**
   * A tiled model's grids (image-tiles.ts): each image becomes an overview and crops of `size`,
   * [passes, 3, S, S]. Absent: the centred square crop, [3, S, S].
   */
  tiles?: TilesConfig;
}

/**
 * CLIP's normalisation (OpenAI CLIP, also used by MM1's CLIP encoders): pixel values in [0, 1]
 * minus this mean, divided by this std, per RGB channel.
 */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export const DEFAULT_IMAGE_OPTIONS: ImageOptions = {
  size: 64,
  mean: CLIP_MEAN,
  std: CLIP_STD,
  resize: "auto",
  fit: "crop",
};

/**
 * The image options of a stream: the defaults, the data block's `resize` and `fit`, then
 * `partial`.
 */
export function resolveImageOptions(
  partial: Partial<ImageOptions> | undefined,
  spec?: Pick<DataSpec, "resize" | "fit">,
): ImageOptions {
  return {
    ...DEFAULT_IMAGE_OPTIONS,
    ...(spec?.resize ? { resize: spec.resize } : {}),
    ...(spec?.fit ? { fit: spec.fit } : {}),
    ...partial,
  };
}
