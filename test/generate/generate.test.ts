// Generation: the prompt laid out as training lays out documents, sampling rules, and the cached
// loop against the uncached one (the whole sequence again per token) on a multimodal model.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { ByteTokenizer } from "../../src/runtime/data/tokenizer.js";
import { Prng } from "../../src/runtime/data/prng.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { allowedIds, generate } from "../../src/runtime/generate/generate.js";
import { layoutPrompt, promptParts } from "../../src/runtime/generate/prompt.js";
import { encoderInput } from "../../src/runtime/generate/images.js";
import {
  prepareDocuments,
  requestDocument,
  runDocuments,
  runItems,
} from "../../src/runtime/generate/request.js";
import { embedTokens } from "../../src/runtime/layers/decoder.js";
import { decoderForwardCached } from "../../src/runtime/layers/decoder-cached.js";
import type { Config } from "../../src/components/types.js";
import { tileImage } from "../../src/runtime/data/image-tiles.js";
import { resolveImageOptions } from "../../src/runtime/data/spec.js";
import type { RgbaImage } from "../../src/runtime/data/image-decode.js";
import { pickToken } from "../../src/runtime/generate/sampling.js";
import { generatedCode } from "../runtime/generated-code.js";
import { useBackend } from "../runtime/helpers.js";

const tok = new ByteTokenizer();

describe("prompt layout", () => {
  it("puts images at their markers, or before the text without markers", () => {
    expect(promptParts("a<image>b<image>", 2)).toEqual([
      { type: "text", text: "a" },
      { type: "image", image: 0 },
      { type: "text", text: "b" },
      { type: "image", image: 1 },
    ]);
    expect(promptParts("cap", 2, 3)).toEqual([
      { type: "image", image: 3 },
      { type: "image", image: 4 },
      { type: "text", text: "cap" },
    ]);
  });

  it("lays out shots as closed documents and the query open, as the packer does", () => {
    const docs = [
      { parts: promptParts("ab", 1, 0), closed: true },
      { parts: promptParts("", 1, 1), closed: false },
    ];
    const l = layoutPrompt(docs, tok, 3);
    const { bos, eos, image } = tok.special;
    expect([...l.tokens]).toEqual([
      bos,
      image,
      image,
      image,
      97,
      98,
      eos,
      bos,
      image,
      image,
      image,
    ]);
    expect(l.slots).toEqual([
      { row: 0, start: 1, length: 3, image: 0 },
      { row: 0, start: 8, length: 3, image: 1 },
    ]);
  });
});

describe("sampling", () => {
  const allowed = new Uint8Array(5).fill(1);
  const logits = [1, 3, 3, 0.5, 2];

  it("greedy takes the largest allowed logit, ties to the lower id", () => {
    const rng = Prng.fromSeed(1);
    expect(pickToken(logits, { temperature: 0 }, rng, allowed)).toBe(1);
    expect(pickToken(logits, { temperature: 0 }, rng, Uint8Array.from([1, 0, 1, 1, 1]))).toBe(2);
  });

  it("top-k 1 and a tiny top-p are greedy; a seed repeats its draws", () => {
    for (let s = 0; s < 20; s++) {
      expect(pickToken(logits, { temperature: 1, topK: 1 }, Prng.fromSeed(s), allowed)).toBe(1);
      expect(pickToken(logits, { temperature: 1, topP: 1e-6 }, Prng.fromSeed(s), allowed)).toBe(1);
    }
    const draw = (seed: number) => {
      const rng = Prng.fromSeed(seed);
      return Array.from({ length: 30 }, () => pickToken(logits, { temperature: 1 }, rng, allowed));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("draws in proportion to softmax(logits / T) within the top-k and top-p set", () => {
    const rng = Prng.fromSeed(3);
    const n = 20000;
    const counts = new Array<number>(5).fill(0);
    const o = { temperature: 2, topK: 4 };
    for (let i = 0; i < n; i++) counts[pickToken(logits, o, rng, allowed)]!++;
    // top-4 drops id 3 (0.5); the rest by exp(l / 2)
    const w = [1, 3, 3, 2].map((l) => Math.exp(l / 2));
    const total = w.reduce((a, b) => a + b, 0);
    const expected = [w[0]! / total, w[1]! / total, w[2]! / total, 0, w[3]! / total];
    expect(counts[3]).toBe(0);
    for (let i = 0; i < 5; i++) expect(Math.abs(counts[i]! / n - expected[i]!)).toBeLessThan(0.015);
    // top-p 0.5 of [e^1.5, e^1.5, e^1, e^.5, e^.25]-weighted: the two ids at 3 reach it
    const p = new Array<number>(5).fill(0);
    for (let i = 0; i < 2000; i++)
      p[pickToken(logits, { temperature: 2, topP: 0.5 }, rng, allowed)]!++;
    expect(p[0]! + p[3]! + p[4]!).toBe(0);
    expect(p[1]! > 800 && p[2]! > 800).toBe(true);
  });

  it("never yields BOS, PAD or IMAGE, nor ids past the tokenizer", () => {
    const a = allowedIds(300, tok);
    expect([a[256], a[257], a[258], a[259], a[260], a[299], a[65]]).toEqual([0, 1, 0, 0, 0, 0, 1]);
  });
});

describe("generate", () => {
  const input = {
    image: [3, 16, 16] as [number, number, number],
    vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
    connector: { kind: "AvgPool", config: { tokens: 4 } },
    llm: {
      kind: "Decoder",
      config: { vocab: 260, width: 32, depth: 2, heads: 4, kv_heads: 2, context: 64 },
    },
  };

  it("gives the same tokens with and without the KV cache, greedy and sampled", async () => {
    await useBackend("cpu");
    const model = MultimodalModel.fromInput(input, 5);
    const code = await generatedCode(input);
    const images = new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i * 0.11));
    const prompt = layoutPrompt(
      [
        { parts: promptParts("a red <image>", 1, 0), closed: true },
        { parts: promptParts("<image> is", 1, 1), closed: false },
      ],
      tok,
      4,
    );
    for (const sampling of [{ temperature: 0 }, { temperature: 0.8, topK: 20, topP: 0.9 }]) {
      const o = { maxTokens: 12, sampling, seed: 11 };
      const cached = await generate(model, code, tok, prompt, images, 16, o);
      const full = await generate(model, code, tok, prompt, images, 16, { ...o, cache: false });
      expect(cached.ids).toEqual(full.ids);
      expect(cached.ids.length).toBeGreaterThan(0);
      expect(cached.promptTokens).toBe(prompt.tokens.length);
    }
    // the images reach the output: other pixels, other logits (greedy text may still agree)
    const other = await generate(
      model,
      code,
      tok,
      prompt,
      images.map((x) => -x),
      16,
      {
        maxTokens: 12,
        sampling: { temperature: 1 },
        seed: 11,
      },
    );
    const same = await generate(model, code, tok, prompt, images, 16, {
      maxTokens: 12,
      sampling: { temperature: 1 },
      seed: 11,
    });
    expect(other.ids).not.toEqual(same.ids);
    model.dispose();
  });

  it("stops at the context and at the token limit", async () => {
    await useBackend("cpu");
    const model = MultimodalModel.fromInput({ llm: input.llm }, 2);
    const code = await generatedCode({ llm: input.llm });
    const prompt = layoutPrompt([{ parts: promptParts("x".repeat(60), 0), closed: false }], tok, 0);
    const g = await generate(model, code, tok, prompt, undefined, 0, {
      maxTokens: 50,
      sampling: { temperature: 1 },
      seed: 1,
    });
    // 61 prompt positions: at most 3 new tokens fit a context of 64 (or it ended by itself)
    expect(g.ids.length).toBeLessThanOrEqual(3);
    if (g.stop !== "end") expect(g.stop).toBe("context");
    const h = await generate(
      model,
      code,
      tok,
      layoutPrompt([{ parts: [], closed: false }], tok, 0),
      undefined,
      0,
      {
        maxTokens: 2,
        sampling: { temperature: 0 },
        seed: 1,
      },
    );
    expect(h.ids.length).toBeLessThanOrEqual(2);
    model.dispose();
  });
});

describe("generate on a tiled model", () => {
  const tiles = {
    grids: [
      { cols: 1, rows: 1 },
      { cols: 2, rows: 1 },
      { cols: 2, rows: 2 },
    ],
    overview: true,
  };
  const input = {
    image: [3, 16, 16] as [number, number, number],
    tiles,
    vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
    connector: { kind: "AvgPool", config: { tokens: 4 } },
    llm: {
      kind: "Decoder",
      config: { vocab: 260, width: 32, depth: 2, heads: 4, kv_heads: 2, context: 96 },
    },
  };
  /** A noise picture of w x h pixels. */
  const picture = (w: number, h: number, seed: number): RgbaImage => {
    const rng = Prng.fromSeed(seed);
    const data = new Uint8Array(w * h * 4).map(() => rng.nextInt(256));
    return { width: w, height: h, data };
  };

  it("lays out each image's overview and crops in its place, as the packer does", () => {
    // image 0 takes 3 passes (an overview and 2 crops), image 1 takes 5
    const docs = [
      { parts: promptParts("a<image>", 1, 0), closed: true },
      { parts: promptParts("<image>b", 1, 1), closed: false },
    ];
    const l = layoutPrompt(docs, tok, 2, [3, 5]);
    const { bos, eos, image } = tok.special;
    const img = (n: number) => Array.from({ length: n }, () => image);
    expect([...l.tokens]).toEqual([bos, 97, ...img(6), eos, bos, ...img(10), 98]);
    expect(l.slots.map((s) => [s.start, s.length, s.image])).toEqual([
      [2, 2, 0],
      [4, 2, 1],
      [6, 2, 2],
      [10, 2, 3],
      [12, 2, 4],
      [14, 2, 5],
      [16, 2, 6],
      [18, 2, 7],
    ]);
  });

  it("cuts images as training does and generates the same with and without the KV cache", async () => {
    await useBackend("cpu");
    const model = MultimodalModel.fromInput(input, 6);
    const code = await generatedCode(input);
    const wide = picture(40, 19, 1); // 2x1: an overview and 2 crops
    const square = picture(30, 33, 2); // 2x2: an overview and 4 crops
    const options = resolveImageOptions({ size: 16 });
    const images = [wide, square].map((p) => encoderInput(p, { size: 16, tiles }));
    expect(images[0]).toEqual(tileImage(wide, tiles, options).pixels);
    expect(images[1]).toEqual(tileImage(square, tiles, options).pixels);
    expect(images.map((x) => x.length / (3 * 16 * 16))).toEqual([3, 5]);
    const g = { model, code, tokenizer: tok, imageTokens: 4, imageSize: 16, tiles };
    const docs = [
      { parts: promptParts("a <image>", 1, 0), closed: true },
      { parts: promptParts("<image> is", 1, 1), closed: false },
    ];
    for (const sampling of [{ temperature: 0 }, { temperature: 0.8, topK: 20 }]) {
      const r = { maxTokens: 10, sampling, seed: 4 };
      const cached = await runDocuments(g, docs, images, r);
      const full = await runDocuments({ ...g, cache: false }, docs, images, r);
      expect(cached.ids).toEqual(full.ids);
      expect(cached.ids.length).toBeGreaterThan(0);
      // BOS, "a ", 3 passes x 4, EOS, BOS, 5 passes x 4, " is"
      expect(cached.promptTokens).toBe(1 + 2 + 12 + 1 + 1 + 20 + 3);
    }
    // the crops reach the logits, not only the overview: other crops, other logits
    const changed = images[1]!.slice();
    changed.fill(0.5, 3 * 16 * 16);
    const laid = layoutPrompt(docs, tok, 4, [3, 5]);
    const logits = (second: Float32Array) => {
      const all = new Float32Array(images[0]!.length + second.length);
      all.set(images[0]!);
      all.set(second, images[0]!.length);
      const batch = {
        batchSize: 1,
        sequence: laid.tokens.length,
        tokens: laid.tokens,
        lossMask: new Uint8Array(laid.tokens.length),
        images: all,
        imageSize: 16,
        imageSlots: laid.slots,
      };
      return tf.tidy(() => code.forward(model, batch).logits.dataSync() as Float32Array);
    };
    const a = logits(images[1]!);
    const b = logits(changed);
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    expect(diff).toBeGreaterThan(1e-4);
    model.dispose();
  });
});

describe("batched generation", () => {
  const vision = {
    image: [3, 16, 16] as [number, number, number],
    vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
    connector: { kind: "AvgPool", config: { tokens: 4 } },
  };
  const llms: Record<string, Config> = {
    rotary: { vocab: 260, width: 32, depth: 2, heads: 4, kv_heads: 2, context: 64 },
    "learned positions": {
      vocab: 260,
      width: 32,
      depth: 2,
      heads: 4,
      position: "learned",
      context: 64,
    },
    moe: {
      vocab: 260,
      width: 32,
      depth: 2,
      heads: 4,
      context: 64,
      moe: { experts: 4, top_k: 2, every: 1 },
    },
  };
  for (const [name, config] of Object.entries(llms)) {
    it(`answers each request as it is answered alone (${name})`, async () => {
      await useBackend("cpu");
      const input = { ...vision, llm: { kind: "Decoder", config } };
      const model = MultimodalModel.fromInput(input, 7);
      const code = await generatedCode(input);
      const g = { model, code, tokenizer: tok, imageTokens: 4, imageSize: 16 };
      const pic = (seed: number) =>
        new Float32Array(3 * 16 * 16).map((_, i) => Math.sin(i * 0.07 * seed));
      const one = (
        text: string,
        images: Float32Array[],
        maxTokens: number,
        sampling: object,
        seed = 3,
      ) =>
        prepareDocuments(g, [requestDocument(g, text, images.length)], images, {
          maxTokens,
          sampling: sampling as { temperature: number },
          seed,
        });
      const items = [
        one("a long prompt with one picture <image> in it", [pic(1)], 9, { temperature: 0 }),
        one("x", [], 12, { temperature: 0.9, topK: 30 }, 5),
        one("<image> and <image>", [pic(2), pic(3)], 4, { temperature: 0 }),
        one("the", [pic(4)], 14, { temperature: 1, topP: 0.9 }, 8),
        one("", [], 1, { temperature: 0 }),
      ];
      const alone = [];
      for (const it of items)
        alone.push(await generate(model, code, tok, it.prompt, it.images, 16, it.options));
      for (const size of [2, 5]) {
        const batched = await runItems(g, items, size);
        expect(batched.map((b) => b.ids)).toEqual(alone.map((a) => a.ids));
        expect(batched.map((b) => b.stop)).toEqual(alone.map((a) => a.stop));
        expect(batched.map((b) => b.promptTokens)).toEqual(alone.map((a) => a.promptTokens));
      }
      // the requests stop at different steps, so rows leave the batch while others go on
      expect(new Set(alone.map((a) => a.ids.length)).size).toBeGreaterThan(2);
      model.dispose();
    });
  }

  it("the padded cached decoder gives each row the logits it has alone", async () => {
    await useBackend("cpu");
    const input = { ...vision, llm: { kind: "Decoder", config: llms["rotary"]! } };
    const model = MultimodalModel.fromInput(input, 9);
    const p = model.params.scope("llm");
    const rowsOf = [
      [5, 6, 7, 8, 9, 10],
      [11, 12],
    ];
    const alone = rowsOf.map((ids) =>
      tf.tidy(() => {
        const e = embedTokens(p, tf.tensor2d(ids, [1, ids.length], "int32"));
        const out = decoderForwardCached(p, model.llm, e, 1, ids.length, undefined);
        return Array.from(out.logits.dataSync()).slice(-260);
      }),
    );
    const padded = tf.tidy(() => {
      const ids = [...rowsOf[0]!, 0, 0, 0, 0, ...rowsOf[1]!];
      const e = embedTokens(p, tf.tensor2d(ids, [2, 6], "int32"));
      const out = decoderForwardCached(p, model.llm, e, 2, 6, undefined, [0, 4]);
      const l = Array.from(out.logits.dataSync());
      return [l.slice(5 * 260, 6 * 260), l.slice(11 * 260, 12 * 260)];
    });
    for (let r = 0; r < 2; r++)
      for (let i = 0; i < 260; i++)
        expect(Math.abs(padded[r]![i]! - alone[r]![i]!)).toBeLessThan(1e-5);
    model.dispose();
  });
});
