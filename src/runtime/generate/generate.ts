// The generation loop: the prompt (the model's generated embedding: text and image tokens in
// place) through the decoder once, then one position per new token with the KV cache (or, for
// comparison, the model's generated forward pass over the whole sequence again each token), until
// end of text, the token limit or the model's context.
import * as tf from "@tensorflow/tfjs-core";
import type { Tokenizer } from "../data/tokenizer.js";
import { Prng } from "../data/prng.js";
import { embedTokens } from "../layers/decoder.js";
import {
  decoderForwardCached,
  disposeCache,
  selectRows,
  tidyStep,
  type KvCache,
} from "../layers/decoder-cached.js";
import type { ImageSlot, ModelBatch, ModelCode, MultimodalModel } from "../model.js";
import { concatImages } from "./images.js";
import type { LaidOutPrompt } from "./prompt.js";
import { pickToken, type SamplingOptions } from "./sampling.js";

export interface GenerateOptions {
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
  /** false: run the whole sequence for every token (slower; the benchmark's baseline). */
  readonly cache?: boolean;
}

export type StopReason = "end" | "max-tokens" | "context";

export interface Generation {
  /** The new tokens, without the end-of-text token. */
  readonly ids: number[];
  readonly text: string;
  readonly stop: StopReason;
  readonly promptTokens: number;
  /** Wall time of the prompt pass, and of the whole generation. */
  readonly promptSeconds: number;
  readonly seconds: number;
}

/** The ids a generated token may take: the tokenizer's, but not BOS, PAD or IMAGE. */
export function allowedIds(vocab: number, tokenizer: Tokenizer): Uint8Array {
  const allowed = new Uint8Array(vocab);
  allowed.fill(1, 0, Math.min(vocab, tokenizer.vocabSize));
  const { bos, pad, image } = tokenizer.special;
  for (const id of [bos, pad, image]) if (id < vocab) allowed[id] = 0;
  return allowed;
}

/** The prompt as a one-row batch; `images` [n, c, s, s] flat, in image-index order. */
function promptBatch(
  tokens: Int32Array,
  prompt: LaidOutPrompt,
  images: Float32Array | undefined,
  imageSize: number,
): ModelBatch {
  const base = {
    batchSize: 1,
    sequence: tokens.length,
    tokens,
    lossMask: new Uint8Array(tokens.length),
  };
  return prompt.slots.length > 0 && images !== undefined
    ? { ...base, images, imageSize, imageSlots: prompt.slots }
    : base;
}

/** The last row of logits [t, vocab], read back (awaited: WebGPU cannot read synchronously). */
async function lastRow(logits: tf.Tensor2D): Promise<Float32Array> {
  const [t, vocab] = logits.shape;
  const row = tf.slice(logits, [t - 1, 0], [1, vocab]);
  const data = (await row.data()) as Float32Array;
  row.dispose();
  return data;
}

/**
 * Continues `prompt`. `images` are the prompt's images, preprocessed, concatenated in the order
 * the slots number them. The prompt must fit the context (the caller words that error).
 */
export async function generate(
  model: MultimodalModel,
  code: ModelCode,
  tokenizer: Tokenizer,
  prompt: LaidOutPrompt,
  images: Float32Array | undefined,
  imageSize: number,
  o: GenerateOptions,
): Promise<Generation> {
  const started = performance.now();
  const context = model.llm.context;
  const t0 = prompt.tokens.length;
  if (t0 > context) throw new RangeError(`the prompt is ${t0} tokens, past the context ${context}`);
  const rng = Prng.fromSeed(o.seed);
  const allowed = allowedIds(model.llm.vocab, tokenizer);
  const llm = model.params.scope("llm");
  const ids: number[] = [];
  let stop: StopReason = "max-tokens";
  let cache: KvCache | undefined;
  let promptSeconds = 0;
  try {
    let logits: Float32Array;
    if (o.cache === false) {
      logits = await fullPass(model, code, prompt, images, imageSize, prompt.tokens);
    } else {
      const first = tidyStep(() => {
        const e = code.embed(model, promptBatch(prompt.tokens, prompt, images, imageSize));
        return decoderForwardCached(llm, model.llm, e, 1, t0, undefined);
      });
      cache = first.cache;
      logits = await lastRow(first.logits);
      first.logits.dispose();
    }
    promptSeconds = (performance.now() - started) / 1000;
    while (ids.length < o.maxTokens) {
      const id = pickToken(logits, o.sampling, rng, allowed);
      if (id === tokenizer.special.eos) {
        stop = "end";
        break;
      }
      ids.push(id);
      if (ids.length === o.maxTokens) break;
      if (t0 + ids.length >= context) {
        stop = "context";
        break;
      }
      if (o.cache === false) {
        const all = Int32Array.from([...prompt.tokens, ...ids]);
        logits = await fullPass(model, code, prompt, images, imageSize, all);
        continue;
      }
      const past: KvCache = cache as KvCache;
      const next = tidyStep(() => {
        const e = embedTokens(llm, tf.tensor2d([id], [1, 1], "int32"));
        return decoderForwardCached(llm, model.llm, e, 1, 1, past);
      });
      disposeCache(past);
      cache = next.cache;
      logits = await lastRow(next.logits);
      next.logits.dispose();
    }
  } finally {
    disposeCache(cache);
  }
  return {
    ids,
    text: tokenizer.decode(ids),
    stop,
    promptTokens: t0,
    promptSeconds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The model's full forward pass over `tokens` (the prompt and what was generated so far). */
async function fullPass(
  model: MultimodalModel,
  code: ModelCode,
  prompt: LaidOutPrompt,
  images: Float32Array | undefined,
  imageSize: number,
  tokens: Int32Array,
): Promise<Float32Array> {
  const logits = tf.tidy(
    () => code.forward(model.atInference(), promptBatch(tokens, prompt, images, imageSize)).logits,
  );
  const row = await lastRow(logits);
  logits.dispose();
  return row;
}

/** One request of a batch: its laid-out prompt, its images (as `generate` takes them), options. */
export interface BatchItem {
  readonly prompt: LaidOutPrompt;
  readonly images: Float32Array | undefined;
  readonly options: GenerateOptions;
}

/**
 * Continues several prompts in one forward pass per token: the prompts left-padded to the longest
 * (PAD ids, masked, each row's positions from its first token; decoderForwardCached's `pads`),
 * each row sampled with its own options and seed, and a row dropped from the batch (and its
 * cache) when it stops. Each result is what `generate` gives for that request alone; `seconds` and
 * `promptSeconds` are the batch's. Always KV-cached.
 */
export async function generateBatch(
  model: MultimodalModel,
  code: ModelCode,
  tokenizer: Tokenizer,
  items: readonly BatchItem[],
  imageSize: number,
): Promise<Generation[]> {
  const started = performance.now();
  const context = model.llm.context;
  const n = items.length;
  if (n === 0) return [];
  const lengths = items.map((it) => it.prompt.tokens.length);
  for (const t0 of lengths)
    if (t0 > context)
      throw new RangeError(`the prompt is ${t0} tokens, past the context ${context}`);
  const width = Math.max(...lengths);
  const allowed = allowedIds(model.llm.vocab, tokenizer);
  const llm = model.params.scope("llm");
  const rngs = items.map((it) => Prng.fromSeed(it.options.seed));
  const ids: number[][] = items.map(() => []);
  const stops: StopReason[] = items.map(() => "max-tokens");
  // the prompt batch: each row left-padded, its image slots moved with it, images in row order
  const pads = lengths.map((t0) => width - t0);
  const tokens = new Int32Array(n * width).fill(tokenizer.special.pad);
  const slots: ImageSlot[] = [];
  const pixels: Float32Array[] = [];
  let passes = 0;
  items.forEach((it, r) => {
    tokens.set(it.prompt.tokens, r * width + (pads[r] as number));
    if (it.images === undefined || it.prompt.slots.length === 0) return;
    for (const s of it.prompt.slots)
      slots.push({ ...s, row: r, start: s.start + (pads[r] as number), image: passes + s.image });
    pixels.push(it.images);
    passes += it.images.length / (3 * imageSize * imageSize);
  });
  const batch: ModelBatch = {
    batchSize: n,
    sequence: width,
    tokens,
    lossMask: new Uint8Array(n * width),
    ...(slots.length > 0 ? { images: concatImages(pixels), imageSize, imageSlots: slots } : {}),
  };
  // rows still generating (indices into items), in the cache's row order
  let live = items.map((_, r) => r);
  let livePads = pads.slice();
  let cache: KvCache | undefined;
  let promptSeconds = 0;
  try {
    const first = tidyStep(() => {
      const e = code.embed(model, batch);
      return decoderForwardCached(llm, model.llm, e, n, width, undefined, pads);
    });
    cache = first.cache;
    let rows = await lastRows(first.logits, n, width);
    first.logits.dispose();
    promptSeconds = (performance.now() - started) / 1000;
    while (live.length > 0) {
      const next: number[] = [];
      const keep: number[] = [];
      live.forEach((r, at) => {
        const it = items[r] as BatchItem;
        const mine = ids[r] as number[];
        const id = pickToken(
          rows[at] as Float32Array,
          it.options.sampling,
          rngs[r] as Prng,
          allowed,
        );
        if (id === tokenizer.special.eos) {
          stops[r] = "end";
          return;
        }
        mine.push(id);
        if (mine.length >= it.options.maxTokens) return;
        if ((lengths[r] as number) + mine.length >= context) {
          stops[r] = "context";
          return;
        }
        next.push(id);
        keep.push(at);
      });
      if (keep.length === 0) break;
      const past = cache as KvCache;
      let kept = past;
      if (keep.length < live.length) {
        kept = selectRows(past, keep);
        disposeCache(past);
      }
      live = keep.map((at) => live[at] as number);
      livePads = keep.map((at) => livePads[at] as number);
      const b = live.length;
      const step = tidyStep(() => {
        const e = embedTokens(llm, tf.tensor2d(next, [b, 1], "int32"));
        return decoderForwardCached(llm, model.llm, e, b, 1, kept, livePads);
      });
      disposeCache(kept);
      cache = step.cache;
      rows = await lastRows(step.logits, b, 1);
      step.logits.dispose();
    }
  } finally {
    disposeCache(cache);
  }
  const seconds = (performance.now() - started) / 1000;
  return items.map((_, r) => ({
    ids: ids[r] as number[],
    text: tokenizer.decode(ids[r] as number[]),
    stop: stops[r] as StopReason,
    promptTokens: lengths[r] as number,
    promptSeconds,
    seconds,
  }));
}

/** Each row's last logits of [b * t, vocab], read back. */
async function lastRows(logits: tf.Tensor2D, b: number, t: number): Promise<Float32Array[]> {
  const vocab = logits.shape[1];
  const last = tf.tidy(() =>
    tf.reshape(tf.slice(tf.reshape(logits, [b, t, vocab]), [0, t - 1, 0], [b, 1, vocab]), [
      b,
      vocab,
    ]),
  );
  const data = (await last.data()) as Float32Array;
  last.dispose();
  return Array.from({ length: b }, (_, r) => data.subarray(r * vocab, (r + 1) * vocab));
}
