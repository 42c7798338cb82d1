// The incremental (KV-cached) decoder against the model's full forward pass (its generated code,
// as training runs it): the same logits, to 1e-5, whether the sequence is fed whole, one token at
// a time, or in uneven chunks, for dense, GQA, rotary and learned positions, query/key norms, and
// MoE (with a capacity that drops nothing); and generation's multimodal prefill against it.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import type { Config } from "../../src/components/types.js";
import type { ModelInput } from "../../src/components/model.js";
import { embedTokens } from "../../src/runtime/layers/decoder.js";
import { MultimodalModel, type ModelBatch } from "../../src/runtime/model.js";
import {
  decoderForwardCached,
  disposeCache,
  tidyStep,
  type KvCache,
} from "../../src/runtime/layers/decoder-cached.js";
import { generatedCode } from "../runtime/generated-code.js";
import { tinyCode, tinyModel, useBackend } from "../runtime/helpers.js";
import { generate } from "../../src/runtime/generate/generate.js";
import { ByteTokenizer } from "../../src/runtime/data/tokenizer.js";

const B = 2;
const T = 12;

function tokens(vocab: number): Int32Array {
  return Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3 * Math.floor(i / T)) % vocab);
}

/** Logits [B, T, vocab] fed in chunks of the given sizes (summing to T). */
function chunked(overrides: Config, chunks: readonly number[]): Float32Array {
  const model = tinyModel(overrides, 3);
  const p = model.params.scope("llm");
  const ids = tokens(model.llm.vocab);
  const rows: Float32Array[][] = [[], []];
  let cache: KvCache | undefined;
  let at = 0;
  for (const n of chunks) {
    const part = new Int32Array(B * n);
    for (let r = 0; r < B; r++) part.set(ids.subarray(r * T + at, r * T + at + n), r * n);
    const next = tidyStep(() => {
      const e = embedTokens(p, tf.tensor2d(part, [B, n], "int32"));
      return decoderForwardCached(p, model.llm, e, B, n, cache);
    });
    disposeCache(cache);
    cache = next.cache;
    const l = next.logits.dataSync() as Float32Array;
    const v = model.llm.vocab;
    for (let r = 0; r < B; r++) rows[r]!.push(l.slice(r * n * v, (r + 1) * n * v));
    next.logits.dispose();
    at += n;
  }
  disposeCache(cache);
  model.dispose();
  const out: number[] = [];
  for (const r of rows) for (const c of r) out.push(...c);
  return Float32Array.from(out);
}

/** The generated full forward pass's logits [B, T, vocab]. */
async function full(overrides: Config): Promise<Float32Array> {
  const model = tinyModel(overrides, 3);
  const code = await tinyCode(overrides);
  const ids = tokens(model.llm.vocab);
  const batch = { batchSize: B, sequence: T, tokens: ids, lossMask: new Uint8Array(B * T) };
  const out = tf.tidy(() => code.forward(model, batch).logits.dataSync() as Float32Array);
  model.dispose();
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const CASES: Record<string, Config> = {
  dense: {},
  gqa: { kv_heads: 2 },
  "gqa one kv head, rotary, head qk-norm": { kv_heads: 1, position: "rope", qk_norm: "head" },
  "learned positions, tied, layer norm, full qk-norm": {
    position: "learned",
    tied: true,
    norm: "layer",
    qk_norm: "full",
    biases: "all",
  },
  "rotary, gelu": { position: "rope", mlp: { fn: "gelu", hidden: 64 } },
  // capacity = experts / top_k: every expert can take every token, so the full pass drops none
  moe: {
    position: "rope",
    moe: { experts: 4, top_k: 2, every: 1, capacity: 2, shared: 1, shared_gate: true },
  },
};

describe("KV-cached decoder = full forward", () => {
  for (const [name, overrides] of Object.entries(CASES)) {
    it(name, async () => {
      await useBackend("cpu");
      const reference = await full(overrides);
      const whole = chunked(overrides, [T]);
      const single = chunked(
        overrides,
        Array.from({ length: T }, () => 1),
      );
      const uneven = chunked(overrides, [5, 1, 3, 1, 2]);
      expect(maxDiff(whole, reference)).toBeLessThan(1e-5);
      expect(maxDiff(single, reference)).toBeLessThan(1e-5);
      expect(maxDiff(uneven, reference)).toBeLessThan(1e-5);
      // the logits are not all alike (a broken cache that repeats one row would fail above too)
      expect(maxDiff(reference.subarray(0, 40), reference.subarray(40, 80))).toBeGreaterThan(1e-3);
    });
  }

  it("a multimodal prefill (generated embedding, then the cache) = the generated forward", async () => {
    await useBackend("cpu");
    const input: ModelInput = {
      image: [3, 16, 16],
      vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
      connector: { kind: "AvgPool", config: { tokens: 4 } },
      llm: {
        kind: "Decoder",
        config: { vocab: 40, width: 32, depth: 2, heads: 4, kv_heads: 2, context: 16 },
      },
    };
    const model = MultimodalModel.fromInput(input, 4);
    const code = await generatedCode(input);
    const ids = tokens(40).subarray(0, T);
    const batch: ModelBatch = {
      batchSize: 1,
      sequence: T,
      tokens: ids,
      lossMask: new Uint8Array(T),
      images: new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i * 0.21)),
      imageSize: 16,
      imageSlots: [
        { row: 0, start: 1, length: 4, image: 0 },
        { row: 0, start: 6, length: 4, image: 1 },
      ],
    };
    const reference = tf.tidy(() => code.forward(model, batch).logits.dataSync() as Float32Array);
    const p = model.weights.scope("llm");
    const prefill = tidyStep(() =>
      decoderForwardCached(p, model.llm, code.embed(model, batch), 1, T, undefined),
    );
    const cached = prefill.logits.dataSync() as Float32Array;
    prefill.logits.dispose();
    disposeCache(prefill.cache);
    expect(maxDiff(cached, reference)).toBeLessThan(1e-5);
    // the images reach these logits: without them the text-only logits differ
    const textOnly = tf.tidy(
      () =>
        code
          .forward(model, { batchSize: 1, sequence: T, tokens: ids, lossMask: batch.lossMask })
          .logits.dataSync() as Float32Array,
    );
    expect(maxDiff(textOnly, reference)).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it("refuses positions past the context", async () => {
    await useBackend("cpu");
    const model = tinyModel({}, 3);
    const p = model.params.scope("llm");
    const e = embedTokens(p, tf.zeros([1, 17], "int32") as tf.Tensor2D);
    expect(() => decoderForwardCached(p, model.llm, e, 1, 17, undefined)).toThrow(/context of 16/);
    model.dispose();
  });

  it("keeps no tensors beyond the cache it returns", async () => {
    await useBackend("cpu");
    const model = tinyModel({ position: "rope" }, 3);
    const p = model.params.scope("llm");
    const before = tf.memory().numTensors;
    let cache: KvCache | undefined;
    for (let i = 0; i < 4; i++) {
      const next = tidyStep(() => {
        const e = embedTokens(p, tf.tensor2d([i], [1, 1], "int32"));
        return decoderForwardCached(p, model.llm, e, 1, 1, cache);
      });
      disposeCache(cache);
      cache = next.cache;
      next.logits.dispose();
    }
    expect(tf.memory().numTensors).toBe(before + 2 * model.llm.depth);
    disposeCache(cache);
    model.dispose();
  });

  it("an MoE whose training capacity drops tokens: generation with and without the cache agrees", async () => {
    await useBackend("cpu");
    // capacity 0.5: in training each expert takes a quarter of the tokens; inference drops none
    const overrides: Config = {
      vocab: 260,
      moe: { experts: 4, top_k: 2, every: 1, capacity: 0.5 },
      context: 32,
    };
    const model = tinyModel(overrides, 7);
    const code = await tinyCode(overrides);
    const prompt = {
      tokens: Int32Array.from([256, 104, 105, 32, 116, 104, 101, 114, 101]),
      slots: [],
    };
    const run = (cache: boolean) =>
      generate(model, code, new ByteTokenizer(), prompt, undefined, 0, {
        maxTokens: 12,
        sampling: { temperature: 0 },
        seed: 0,
        cache,
      });
    const cached = await run(true);
    const full = await run(false);
    expect(cached.ids.length).toBeGreaterThan(0);
    expect(full.ids).toEqual(cached.ids);
    // the capacity does drop in the training forward: its logits differ from inference's
    const batch: ModelBatch = {
      batchSize: 1,
      sequence: prompt.tokens.length,
      tokens: prompt.tokens,
      lossMask: new Uint8Array(prompt.tokens.length),
    };
    const training = tf.tidy(() => code.forward(model, batch).logits.dataSync() as Float32Array);
    const inference = tf.tidy(
      () => code.forward(model.atInference(), batch).logits.dataSync() as Float32Array,
    );
    expect(maxDiff(training, inference)).toBeGreaterThan(1e-3);
    model.dispose();
  });
});
