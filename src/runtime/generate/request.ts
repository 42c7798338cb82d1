// One generation request, checked: the prompt's `<image>` markers against its images, the model's
// image side, and the laid-out prompt against the context. Problems are RequestErrors in words a
// user acts on; the command line and the batch mode word where they came from.
import type { FitMode, ResizeMode } from "../data/spec.js";
import type { Tokenizer } from "../data/tokenizer.js";
import type { ModelCode, MultimodalModel } from "../model.js";
import { generate, generateBatch, type BatchItem, type Generation } from "./generate.js";
import type { TilesConfig } from "../../components/tiles.js";
import { passesOf } from "../data/image-tiles.js";
import { concatImages, type ImageInput } from "./images.js";
import { countMarkers, layoutPrompt, promptParts, type PromptDocument } from "./prompt.js";
import type { SamplingOptions } from "./sampling.js";

export class RequestError extends Error {}

export interface GenerateRequest {
  readonly prompt: string;
  /** Preprocessed images [3, size, size], one per marker (or all before the prompt). */
  readonly images: readonly Float32Array[];
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
}

/** What generation needs besides the request: the model, its forward pass, tokenizer, images. */
export interface Generator {
  readonly model: MultimodalModel;
  readonly code: ModelCode;
  readonly tokenizer: Tokenizer;
  /** Positions per encoder pass: per image, or per crop of a tiled image (0: text-only model). */
  readonly imageTokens: number;
  readonly imageSize: number;
  /** A tiled model's grids: its images are loaded as an overview and crops. */
  readonly tiles?: TilesConfig;
  /** The data block's `resize`, so images are resampled as in training; absent is "auto". */
  readonly imageResize?: ResizeMode;
  /** The data block's `fit`, so images are made square as in training; absent is "crop". */
  readonly imageFit?: FitMode;
  readonly cache?: boolean;
}

/** How the generator's model reads an image (its crop size and tiles). */
export function imageInput(g: Generator): ImageInput {
  return {
    size: g.imageSize,
    ...(g.tiles ? { tiles: g.tiles } : {}),
    ...(g.imageResize ? { resize: g.imageResize } : {}),
    ...(g.imageFit ? { fit: g.imageFit } : {}),
  };
}

/** Checks the marker count; the prompt's parts as one open document. */
export function requestDocument(g: Generator, prompt: string, images: number): PromptDocument {
  const markers = countMarkers(prompt);
  if (markers > 0 && markers !== images)
    throw new RequestError(
      `the prompt has ${markers} \`<image>\` marker${markers === 1 ? "" : "s"} but ${images} image${images === 1 ? " was" : "s were"} given: give one image per marker, or no markers to put the images before the prompt`,
    );
  if ((images > 0 || markers > 0) && g.imageTokens === 0)
    throw new RequestError(
      "this model has no vision encoder: give no images and no `<image>` markers, or use a multimodal train",
    );
  return { parts: promptParts(prompt, images), closed: false };
}

/** Lays out `docs` and checks them against the context: one request, ready to generate. */
export function prepareDocuments(
  g: Generator,
  docs: readonly PromptDocument[],
  images: readonly Float32Array[],
  r: Pick<GenerateRequest, "maxTokens" | "sampling" | "seed">,
): BatchItem {
  const passes = images.map((x) => passesOf(x, g.imageSize));
  const laid = layoutPrompt(docs, g.tokenizer, g.imageTokens, passes);
  const context = g.model.llm.context;
  if (laid.tokens.length >= context) {
    const imagePositions = laid.slots.length * g.imageTokens;
    throw new RequestError(
      `the prompt takes ${laid.tokens.length} positions (${imagePositions} of them for ${images.length} image${images.length === 1 ? "" : "s"}), and the model's context is ${context}, leaving no room to generate: shorten the prompt or give fewer images`,
    );
  }
  return {
    prompt: laid,
    images: concatImages(images),
    options: {
      maxTokens: r.maxTokens,
      sampling: r.sampling,
      seed: r.seed,
      ...(g.cache === false ? { cache: false } : {}),
    },
  };
}

/** Lays out `docs`, checks them against the context, and generates. */
export async function runDocuments(
  g: Generator,
  docs: readonly PromptDocument[],
  images: readonly Float32Array[],
  r: Pick<GenerateRequest, "maxTokens" | "sampling" | "seed">,
): Promise<Generation> {
  const item = prepareDocuments(g, docs, images, r);
  return generate(
    g.model,
    g.code,
    g.tokenizer,
    item.prompt,
    item.images,
    g.imageSize,
    item.options,
  );
}

/**
 * Prepared requests, `batchSize` at a time in one forward pass each (generateBatch; each answer
 * is what the request gives alone), in order. One at a time without the cache.
 */
export async function runItems(
  g: Generator,
  items: readonly BatchItem[],
  batchSize: number,
): Promise<Generation[]> {
  const out: Generation[] = [];
  if (batchSize <= 1 || g.cache === false) {
    for (const it of items)
      out.push(
        await generate(g.model, g.code, g.tokenizer, it.prompt, it.images, g.imageSize, it.options),
      );
    return out;
  }
  for (let i = 0; i < items.length; i += batchSize)
    out.push(
      ...(await generateBatch(
        g.model,
        g.code,
        g.tokenizer,
        items.slice(i, i + batchSize),
        g.imageSize,
      )),
    );
  return out;
}

export async function runRequest(g: Generator, r: GenerateRequest): Promise<Generation> {
  return runDocuments(g, [requestDocument(g, r.prompt, r.images.length)], r.images, r);
}
