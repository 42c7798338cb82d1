// Generation benchmark: new tokens per second with the KV cache (one position per token) and
// without it (the whole sequence again per token), for the tiny and mid examples' language models
// (random weights: speed does not depend on them), after a prompt laid out like a caption query.
// Run: npm run build && node bench/generate.mjs [--backend wasm] [--only tiny|mid] [--tokens N]
//      [--prompt N] [--threads N]
import * as tf from "@tensorflow/tfjs-core";
import {
  MultimodalModel,
  currentThreads,
  decoderForwardCached,
  disposeCache,
  embedTokens,
  selectBackend,
  tidyStep,
} from "../dist/runtime/index.js";
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
