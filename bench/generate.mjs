// Generation benchmark: new tokens per second with the KV cache (one position per token) and
// without it (the whole sequence again per token), for the tiny and mid examples' language models
// (random weights: speed does not depend on them), after a prompt laid out like a caption query.
// With --requests N: requests per second answering N caption-style requests (an image and a
// prompt of 0-40 characters each, up to --tokens new tokens) one at a time and --batch-sizes at a
// time in one forward pass (generateBatch), on the tiny example's whole multimodal model; the
// answers are checked equal to the one-at-a-time ones.
// Run: npm run build && node bench/generate.mjs [--backend wasm] [--only tiny|mid] [--tokens N]
//      [--prompt N] [--threads N] [--requests N [--batch-sizes 1,4,8,16]]
import * as tf from "@tensorflow/tfjs-core";
import {
  MultimodalModel,
  generate,
  generateBatch,
  layoutPrompt,
  promptParts,
  currentThreads,
  decoderForwardCached,
  disposeCache,
  embedTokens,
  selectBackend,
  tidyStep,
} from "../dist/runtime/index.js";
import { ByteTokenizer } from "../dist/runtime/data/index.js";
import { modelCode } from "./model-code.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

// the llm fields of examples/tiny.mm and examples/mid.mm
const MODELS = {
  tiny: {
    vocab: 260,
    width: 128,
    depth: 2,
    heads: 2,
    mlp: { fn: "swiglu", hidden: 344 },
    norm: "rms",
    position: "rope",
    context: 256,
  },
  mid: {
    vocab: 260,
    width: 512,
    depth: 8,
    heads: 8,
    kv_heads: 4,
    mlp: { fn: "swiglu", hidden: 1376 },
    norm: "rms",
    position: "rope",
    context: 256,
  },
};

const backend = option("backend", "wasm");
const threads = option("threads", undefined);
const tokens = Number(option("tokens", "48"));
const promptLength = Number(option("prompt", "32"));
const only = option("only", undefined);

await selectBackend(backend, threads ? { threads: Number(threads) } : {});
console.log(
  `backend ${tf.getBackend()}${currentThreads() ? ` (${currentThreads()} threads)` : ""}; prompt ${promptLength} positions, ${tokens} new tokens`,
);

const ids = (n) => Int32Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256);

async function cached(model) {
  const p = model.params.scope("llm");
  const prompt = ids(promptLength);
  const t0 = performance.now();
  let step = tidyStep(() =>
    decoderForwardCached(
      p,
      model.llm,
      embedTokens(p, tf.tensor2d(prompt, [1, promptLength], "int32")),
      1,
      promptLength,
      undefined,
    ),
  );
  await step.logits.data();
  const t1 = performance.now();
  for (let i = 0; i < tokens; i++) {
    const past = step.cache;
    step.logits.dispose();
    step = tidyStep(() =>
      decoderForwardCached(
        p,
        model.llm,
        embedTokens(p, tf.tensor2d([i % 256], [1, 1], "int32")),
        1,
        1,
        past,
      ),
    );
    disposeCache(past);
    await step.logits.data();
  }
  const t2 = performance.now();
  step.logits.dispose();
  disposeCache(step.cache);
  return { prompt: (t1 - t0) / 1000, perToken: (t2 - t1) / 1000 / tokens };
}

async function uncached(model, code) {
  const t0 = performance.now();
  for (let i = 0; i < tokens; i++) {
    const n = promptLength + i + 1;
    const logits = tf.tidy(
      () =>
        code.forward(model, {
          batchSize: 1,
          sequence: n,
          tokens: ids(n),
          lossMask: new Uint8Array(n),
        }).logits,
    );
    await logits.data();
    logits.dispose();
  }
  return { perToken: (performance.now() - t0) / 1000 / tokens };
}

const requests = option("requests", undefined);
if (requests !== undefined) {
  const tok = new ByteTokenizer();
  const input = {
    image: [3, 64, 64],
    vision: { kind: "ViT", config: { patch: 8, width: 64, depth: 2, heads: 2 } },
    connector: { kind: "AvgPool", config: { tokens: 16 } },
    llm: { kind: "Decoder", config: MODELS.tiny },
  };
  const model = MultimodalModel.fromInput(input, 1);
  const code = await modelCode(input);
  const items = Array.from({ length: Number(requests) }, (_, r) => {
    const text = "a photo of".repeat(4).slice(0, (r * 13) % 41);
    return {
      prompt: layoutPrompt([{ parts: promptParts(text, 1), closed: false }], tok, 16),
      images: new Float32Array(3 * 64 * 64).map((_, i) => Math.sin(i * 0.01 * (r + 1))),
      options: { maxTokens: tokens, sampling: { temperature: 0 }, seed: r },
    };
  });
  const run = async (size) => {
    const out = [];
    if (size === 1)
      for (const it of items)
        out.push(await generate(model, code, tok, it.prompt, it.images, 64, it.options));
    else
      for (let i = 0; i < items.length; i += size)
        out.push(...(await generateBatch(model, code, tok, items.slice(i, i + size), 64)));
    return out;
  };
  await run(1); // warm-up
  let reference;
  for (const size of option("batch-sizes", "1,4,8,16").split(",").map(Number)) {
    const t0 = performance.now();
    const out = await run(size);
    const s = (performance.now() - t0) / 1000;
    const ids = JSON.stringify(out.map((g) => g.ids));
    reference ??= ids;
    const newTokens = out.reduce((a, g) => a + g.ids.length, 0);
    console.log(
      `tiny multimodal, ${items.length} requests, batch size ${String(size).padStart(2)}: ${(items.length / s).toFixed(2)} requests/s, ` +
        `${(newTokens / s).toFixed(1)} new tokens/s (${newTokens} tokens, ${s.toFixed(2)} s)` +
        (ids === reference ? "" : "  ANSWERS DIFFER FROM BATCH SIZE 1"),
    );
  }
  model.dispose();
  process.exit(0);
}

for (const [name, llm] of Object.entries(MODELS)) {
  if (only && only !== name) continue;
  const input = { llm: { kind: "Decoder", config: llm } };
  const model = MultimodalModel.fromInput(input, 1);
  const code = await modelCode(input);
  await cached(model); // warm-up: kernels compiled, memory grown
  const c = await cached(model);
  const u = await uncached(model, code);
  console.log(
    `${name.padEnd(5)} ${(model.params.count() / 1e6).toFixed(2)}M params: with the KV cache ${(1 / c.perToken).toFixed(1)} tokens/s ` +
      `(prompt pass ${(c.prompt * 1000).toFixed(0)} ms); without ${(1 / u.perToken).toFixed(1)} tokens/s; ` +
      `${(u.perToken / c.perToken).toFixed(1)}x`,
  );
  model.dispose();
}
