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
  tidyStep,
  type KvCache,
} from "../layers/decoder-cached.js";
import type { ModelBatch, ModelCode, MultimodalModel } from "../model.js";
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
    () => code.forward(model, promptBatch(tokens, prompt, images, imageSize)).logits,
  );
  const row = await lastRow(logits);
  logits.dispose();
  return row;
}
