// The decoder configs the step benchmarks time (runtime-step.mjs, step-profile.mjs), their
// batches, their training FLOPs by the checker's own arithmetic, and the files that hand mmc's
// initial weights and batch to the PyTorch reference (bench/torch-step.py).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { composeModel } from "../dist/components/model.js";
import * as tf from "@tensorflow/tfjs-core";
import { encodeSafetensors, microBatches, targetCount } from "../dist/runtime/index.js";

/**
 * tiny: the language model of examples/tiny.mm (TinyLM) at its training shape, 8 x 128 tokens.
 * mid: a width-512, 8-layer GELU decoder, 16 x 256 tokens; they do not fit the wasm heap (4 GiB)
 * in one pass, so wasm and cpu take 4 passes of 4 rows, accumulated (a GPU backend takes one).
 * anchor: the shape bench/runtime-step.mjs timed as "tiny" from the runtime's first commit
 * (0f13077) until the tiny example changed: GELU, learned positions, LayerNorm, 8 x 64 tokens.
 * `context` is the sequence: it changes no weight a rope model has, and the checker's FLOPs count
 * attention over the context.
 */
export const CONFIGS = {
  tiny: {
    vocab: 260,
    width: 128,
    depth: 2,
    heads: 2,
    mlp: { fn: "swiglu", hidden: 344 },
    norm: "rms",
    position: "rope",
    batch: 8,
    sequence: 128,
  },
  mid: {
    vocab: 512,
    width: 512,
    depth: 8,
    heads: 8,
    mlp: { fn: "gelu", hidden: 2048 },
    norm: "layer",
    position: "learned",
    batch: 16,
    sequence: 256,
    micro: 4,
  },
  anchor: {
    vocab: 512,
    width: 128,
    depth: 2,
    heads: 4,
    mlp: { fn: "gelu", hidden: 512 },
    norm: "layer",
    position: "learned",
    batch: 8,
    sequence: 64,
  },
};

export function describe(c) {
  return (
    `width ${c.width}, depth ${c.depth}, heads ${c.heads}, ${c.mlp.fn}(${c.mlp.hidden}), ` +
    `${c.norm} norm, ${c.position} positions, vocab ${c.vocab}, ${c.batch} x ${c.sequence} tokens` +
    (c.micro ? ` (${c.batch / c.micro} passes of ${c.micro} rows)` : "")
  );
}

/** The model input MultimodalModel.fromInput and composeModel take. */
export function decoderInput(c) {
  return {
    llm: {
      kind: "Decoder",
      config: {
        vocab: c.vocab,
        width: c.width,
        depth: c.depth,
        heads: c.heads,
        context: c.sequence,
        mlp: c.mlp,
        position: c.position,
        norm: c.norm,
        biases: "none",
        ...(c.moe ? { moe: c.moe } : {}),
      },
    },
  };
}

/**
 * Pseudo-random tokens, every position a target. The LCG's high bits: its low 9 bits repeat with
 * period 512, which made each token a fixed function of the one before it.
 */
export function batchFor(c, seed = 1) {
  const n = c.batch * c.sequence;
  const tokens = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    tokens[i] = (s >>> 16) % c.vocab;
  }
  const lossMask = new Uint8Array(n).fill(1);
  return { batchSize: c.batch, sequence: c.sequence, tokens, lossMask };
}

/**
 * Training FLOPs of one step: the checker's forward FLOPs per token (components, at context =
 * sequence: every linear layer, the head, and attention's scores and weighted sum over the full
 * T x T square) x 3 (forward + backward) x tokens.
 */
export function stepFlops(c) {
  const r = composeModel(decoderInput(c));
  if (!r.ok) throw new Error(`config does not compose: ${r.problems.map((p) => p.message)}`);
  return { perToken: r.flopsPerToken, total: 3 * r.flopsPerToken * c.batch * c.sequence };
}

/** `model`'s current weights as safetensors in `file`. */
export function exportWeights(file, model) {
  const tensors = new Map();
  for (const [name, v] of model.params.entries())
    tensors.set(name, { dtype: "F32", shape: v.shape, data: v.dataSync() });
  writeFileSync(file, encodeSafetensors(tensors));
}

/**
 * Writes `model`'s current weights and `batch` as safetensors under `dir`; returns what the
 * torch reference's `init` command needs (the decoder options and the decayed tensor names).
 */
export function exportForTorch(dir, model, batch) {
  const weights = join(dir, "weights.safetensors");
  exportWeights(weights, model);
  const rows = [batch.batchSize, batch.sequence];
  const batchFile = join(dir, "batch.safetensors");
  writeFileSync(
    batchFile,
    encodeSafetensors(
      new Map([
        ["tokens", { dtype: "I32", shape: rows, data: batch.tokens }],
        ["lossMask", { dtype: "F32", shape: rows, data: Float32Array.from(batch.lossMask) }],
      ]),
    ),
  );
  const { moe, ...llm } = model.llm;
  if (moe !== undefined) throw new Error("the torch reference has no mixture of experts");
  return {
    model: llm,
    weights,
    batch: batchFile,
    decay: model.params.specs.filter((s) => s.decay).map((s) => s.name),
  };
}

/**
 * The loss gradient of every weight on `batch` at the current weights (no update), summed over
 * the same passes as trainStep, written as safetensors to `file` for torch-step.py's `grads`.
 */
export function exportGradients(file, model, code, batch, micro) {
  const vars = model.params.entries().map(([, v]) => v);
  const names = new Map(model.params.entries().map(([n, v]) => [v.name, n]));
  const total = targetCount(batch);
  const sums = new Map();
  for (const part of microBatches(batch, micro)) {
    const weight = targetCount(part) / total;
    const { value, grads } = tf.variableGrads(
      () => tf.mul(code.loss(model, part).crossEntropy, weight),
      vars,
    );
    value.dispose();
    for (const [k, g] of Object.entries(grads)) {
      const prev = sums.get(names.get(k));
      sums.set(names.get(k), prev === undefined ? g : tf.add(prev, g));
      if (prev !== undefined) tf.dispose([prev, g]);
    }
  }
  const tensors = new Map();
  for (const [name, g] of sums)
    tensors.set(name, { dtype: "F32", shape: g.shape, data: g.dataSync() });
  tf.dispose([...sums.values()]);
  writeFileSync(file, encodeSafetensors(tensors));
}
