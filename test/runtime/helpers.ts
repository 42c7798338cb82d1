// Shared fixtures for the runtime tests: backends, a tiny decoder, memorisable batches.
import * as tf from "@tensorflow/tfjs-core";
import type { Config } from "../../src/components/types.js";
import { selectBackend, type BackendName } from "../../src/runtime/backend.js";
import { MultimodalModel, type ModelBatch, type ModelCode } from "../../src/runtime/model.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { generatedCode } from "./generated-code.js";

export async function useBackend(name: BackendName): Promise<void> {
  await selectBackend(name);
  tf.engine().startScope();
  tf.engine().endScope();
}

export function tinyDecoder(overrides: Config = {}): Config {
  return {
    vocab: 40,
    width: 32,
    depth: 2,
    heads: 4,
    context: 16,
    mlp: { fn: "swiglu", hidden: 48 },
    ...overrides,
  };
}

export function tinyModel(overrides: Config = {}, seed = 1): MultimodalModel {
  return MultimodalModel.fromInput(
    { llm: { kind: "Decoder", config: tinyDecoder(overrides) } },
    seed,
  );
}

/** The generated forward pass of `tinyModel(overrides)`. */
export function tinyCode(overrides: Config = {}): Promise<ModelCode> {
  return generatedCode({ llm: { kind: "Decoder", config: tinyDecoder(overrides) } });
}

/** A fixed batch of token rows (a repeating pattern a small model memorises quickly). */
export function patternBatch(batchSize = 2, sequence = 16, vocab = 40): ModelBatch {
  const tokens = new Int32Array(batchSize * sequence);
  for (let r = 0; r < batchSize; r++) {
    for (let i = 0; i < sequence; i++) tokens[r * sequence + i] = (r * 7 + i * 3) % vocab;
  }
  const lossMask = new Uint8Array(batchSize * sequence).fill(1);
  for (let r = 0; r < batchSize; r++) lossMask[r * sequence] = 0;
  return { batchSize, sequence, tokens, lossMask };
}

/**
 * `steps` training steps of `tinyModel(config)` on `patternBatch()` (AdamW at 1e-2, decay 0.1,
 * clipping at 1): each step's loss, and the names of the kernels the steps ran.
 */
export async function trainTiny(
  config: Config,
  loss: ModelCode["loss"],
  steps = 20,
): Promise<{ losses: number[]; kernels: Set<string> }> {
  const model = tinyModel(config);
  const opt = new AdamW(model.params, { lr: 1e-2, weightDecay: 0.1, clip: 1 });
  const batch = patternBatch();
  const kernels = new Set<string>();
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = (name, inputs, attrs) => {
    kernels.add(name);
    return runKernel(name, inputs, attrs);
  };
  const losses: number[] = [];
  try {
    for (let i = 0; i < steps; i++)
      losses.push((await trainStep(model, opt, batch, 1e-2, { loss })).loss);
  } finally {
    engine.runKernel = runKernel;
    opt.dispose();
    model.dispose();
  }
  return { losses, kernels };
}
