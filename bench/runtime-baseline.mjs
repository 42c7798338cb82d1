// A plain hand-written tfjs decoder (GPT-2 style: learned positions, LayerNorm, GELU MLP) using
// tf.matMul with its built-in gradient (transpose flags) and 4-D attention products, as a user
// would write it, timed against the mmc runtime's step on the same weights and batch, interleaved.
// Run: npm run build && node bench/runtime-baseline.mjs [--only mid,anchor] [--threads N] [--pairs N]
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import {
  AdamW,
  MultimodalModel,
  currentThreads,
  gatherRows,
  selectBackend,
  trainStep,
} from "../dist/runtime/index.js";
import { CONFIGS, batchFor, decoderInput, describe } from "./step-configs.mjs";
import { modelCode } from "./model-code.mjs";

function layerNorm(x, w, b) {
  const mean = tf.mean(x, -1, true);
  const c = tf.sub(x, mean);
  const v = tf.mean(tf.square(c), -1, true);
  return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-5))), w), b);
}

function gelu(x) {
  const inner = tf.mul(
    tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)),
    Math.sqrt(2 / Math.PI),
  );
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Same tensors as the mmc Decoder with position: learned, norm: layer, biases: none, mlp: gelu. */
export function plainDecoderLoss(get, cfg, tokens, targets, mask) {
  const { width: C, depth, heads: H, vocab } = cfg;
  const [B, T] = tokens.shape;
  const hd = C / H;
  const dense = (x, name) => tf.matMul(x, get(`${name}.weight`));
  let h = tf.reshape(gatherRows(get("llm.embed.weight"), tf.reshape(tokens, [-1])), [B, T, C]);
  h = tf.add(h, tf.slice(get("llm.pos_embed"), [0, 0], [T, C]));
  h = tf.reshape(h, [B * T, C]);
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -1e9;
  const causal = tf.tensor2d(maskData, [T, T]);
  for (let i = 0; i < depth; i++) {
    const p = `llm.layers.${i}`;
    const a = layerNorm(h, get(`${p}.attn_norm.weight`), get(`${p}.attn_norm.bias`));
    const split = (x) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    const q = split(dense(a, `${p}.attn.q`));
    const k = split(dense(a, `${p}.attn.k`));
    const v = split(dense(a, `${p}.attn.v`));
    const s = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), causal);
    const ctx = tf.matMul(tf.softmax(s), v);
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * T, C]);
    h = tf.add(h, dense(merged, `${p}.attn.o`));
    const m = layerNorm(h, get(`${p}.mlp_norm.weight`), get(`${p}.mlp_norm.bias`));
    h = tf.add(h, dense(gelu(dense(m, `${p}.mlp.up`)), `${p}.mlp.down`));
  }
  h = layerNorm(h, get("llm.final_norm.weight"), get("llm.final_norm.bias"));
  const logits = tf.matMul(h, get("llm.head.weight"));
  const lse = tf.log(tf.sum(tf.exp(logits), -1)); // small logits at init: no max shift needed
  const onehot = tf.cast(tf.oneHot(targets, vocab, 1, 0, "int32"), "float32");
  const picked = tf.sum(tf.mul(logits, onehot), -1);
  return tf.div(tf.sum(tf.mul(tf.sub(lse, picked), mask)), tf.sum(mask));
}

/** One plain step: passes of `rows` rows (it keeps every intermediate), AdamW as mmc's. */
function plainStep(c, model, opt, batch, rows) {
  const names = new Map(model.params.entries().map(([n, v]) => [v.name, n]));
  const vars = model.params.entries().map(([, v]) => v);
  const byName = new Map();
  for (let r = 0; r < c.batch; r += rows) {
    const part = batch.tokens.subarray(r * c.sequence, (r + rows) * c.sequence);
    const { value, grads } = tf.variableGrads(() => {
      const tokens = tf.tensor2d(part, [rows, c.sequence], "int32");
      const targets = tf.tensor1d(
        part.map((_, i) => part[i + 1] ?? 0),
        "int32",
      );
      const mask = tf.ones([rows * c.sequence]);
      const loss = plainDecoderLoss((n) => model.params.get(n), c, tokens, targets, mask);
      return tf.mul(loss, rows / c.batch);
    }, vars);
    value.dataSync();
    value.dispose();
    for (const [k, g] of Object.entries(grads)) {
      const name = names.get(k);
      const prev = byName.get(name);
      byName.set(name, prev === undefined ? g : tf.add(prev, g));
      if (prev !== undefined) tf.dispose([prev, g]);
    }
  }
  const norm = AdamW.globalNorm(byName);
  opt.apply(byName, 1e-4, norm.dataSync()[0]);
  tf.dispose([norm, ...byName.values()]);
}

// Run as a program: mmc step and plain step interleaved, median of the per-pair ratios.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const threads = option("threads", undefined);
  await selectBackend(option("backend", "wasm"), {
    ...(threads === undefined ? {} : { threads: Number(threads) }),
  });
  const pairs = Number(option("pairs", "5"));
  console.log(`${tf.getBackend()} (${currentThreads() ?? "-"} threads)`);
  for (const name of option("only", "mid,anchor").split(",")) {
    const c = CONFIGS[name];
    if (c === undefined || c.mlp.fn !== "gelu" || c.position !== "learned" || c.norm !== "layer") {
      console.log(`[${name}] skipped: the plain decoder is GELU, learned positions, LayerNorm`);
      continue;
    }
    const model = MultimodalModel.fromInput(decoderInput(c), 1);
    const { loss } = await modelCode(decoderInput(c));
    const opts = { lr: 1e-4, weightDecay: 0.1, clip: 1 };
    const ours = new AdamW(model.params, opts);
    const plain = new AdamW(model.params, opts);
    const batch = batchFor(c);
    // the plain version keeps every intermediate of a pass: it needs smaller passes to fit the heap
    const rows = c.micro ? c.micro / 2 : c.batch;
    const time = async (f) => {
      const t0 = performance.now();
      await f();
      return (performance.now() - t0) / 1000;
    };
    const mmc = () => trainStep(model, ours, batch, 1e-4, { loss, microBatch: c.micro });
    const hand = () => plainStep(c, model, plain, batch, rows);
    await time(mmc);
    await time(hand);
    const ratios = [];
    for (let i = 0; i < pairs; i++) ratios.push((await time(hand)) / (await time(mmc)));
    ratios.sort((a, b) => a - b);
    console.log(
      `[${name}] ${describe(c)}: plain tfjs / mmc per pair, median ${ratios[ratios.length >> 1].toFixed(2)}x (range ${ratios[0].toFixed(2)}-${ratios.at(-1).toFixed(2)}x, ${pairs} pairs)`,
    );
    ours.dispose();
    plain.dispose();
    model.dispose();
  }
}
