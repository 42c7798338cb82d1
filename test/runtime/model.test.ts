// The built model in training: no tensor leaks across steps, a gradient check, and a multimodal batch
// whose image tokens reach the loss while image slots are never scored.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import type { ModelInput } from "../../src/components/model.js";
import { MultimodalModel, type ModelBatch } from "../../src/runtime/model.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { generatedCode } from "./generated-code.js";
import { patternBatch, tinyCode, tinyDecoder, tinyModel, useBackend } from "./helpers.js";

const multimodal: ModelInput = {
  image: [3, 16, 16],
  vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
  connector: { kind: "CAbstractor", config: { tokens: 4, depth: 1, hidden: 16 } },
  llm: {
    kind: "Decoder",
    config: tinyDecoder({
      moe: { experts: 4, top_k: 2, every: 2, shared: 1, shared_gate: true },
      qk_norm: "head",
      kv_heads: 2,
    }),
  },
};

function imageBatch(): ModelBatch {
  const b = patternBatch(2, 16);
  const tokens = Int32Array.from(b.tokens);
  const lossMask = Uint8Array.from(b.lossMask);
  // image 0 in row 0 at 2..5, image 1 in row 1 at 8..11: those positions are never targets
  for (const at of [2, 3, 4, 5, 16 + 8, 16 + 9, 16 + 10, 16 + 11]) {
    tokens[at] = 39;
    lossMask[at] = 0;
  }
  const images = new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i * 0.37));
  return {
    ...b,
    tokens,
    lossMask,
    images,
    imageSize: 16,
    imageSlots: [
      { row: 0, start: 2, length: 4, image: 0 },
      { row: 1, start: 8, length: 4, image: 1 },
    ],
  };
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`multimodal model on ${backend}`, () => {
    it("trains a step with images and MoE and leaks no tensors across steps", async () => {
      await useBackend(backend);
      const model = MultimodalModel.fromInput(multimodal, 2);
      const { loss } = await generatedCode(multimodal);
      const opt = new AdamW(model.params, { lr: 1e-3, weightDecay: 0.1, clip: 1 });
      const batch = imageBatch();
      await trainStep(model, opt, batch, 1e-3, { loss });
      const before = tf.memory().numTensors;
      const r = await trainStep(model, opt, batch, 1e-3, { loss });
      await trainStep(model, opt, batch, 1e-3, { loss });
      expect(tf.memory().numTensors).toBe(before);
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.load.length).toBe(1);
      opt.dispose();
      model.dispose();
    });

    it("scores text only and lets the image reach the text loss", async () => {
      await useBackend(backend);
      const model = MultimodalModel.fromInput(multimodal, 2);
      const code = await generatedCode(multimodal);
      const batch = imageBatch();
      const loss = (bt: ModelBatch): number =>
        tf.tidy(() => code.loss(model, bt).crossEntropy.dataSync()[0] as number);
      const base = loss(batch);
      // changing the placeholder ids in the slots changes nothing: they are replaced and not scored
      const tokens = Int32Array.from(batch.tokens);
      for (const at of [2, 3, 4, 5]) tokens[at] = 7;
      expect(loss({ ...batch, tokens })).toBeCloseTo(base, 5);
      // changing the pixels changes the loss of the text that follows
      const images = Float32Array.from(batch.images!).map((v) => -v);
      expect(Math.abs(loss({ ...batch, images }) - base)).toBeGreaterThan(1e-6);
      model.dispose();
    });
  });
}

describe("micro-batches", () => {
  it("accumulate to the same step as one pass over the batch", async () => {
    await useBackend("cpu");
    const run = async (micro: number | undefined): Promise<Map<string, Float32Array>> => {
      // no MoE here: routing capacity and balance are per pass by design, so only dense layers are exact
      const dense = {
        ...multimodal,
        llm: { kind: "Decoder", config: tinyDecoder({ kv_heads: 2 }) },
      };
      const model = MultimodalModel.fromInput(dense, 4);
      const { loss } = await generatedCode(dense);
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 0 });
      const batch = imageBatch();
      // uneven targets per row, so the weighting matters
      const lossMask = Uint8Array.from(batch.lossMask);
      lossMask.fill(0, 16 + 12, 32);
      const r = await trainStep(
        model,
        opt,
        { ...batch, lossMask },
        1e-2,
        micro === undefined ? { loss } : { loss, microBatch: micro },
      );
      const out = new Map(
        model.params.entries().map(([n, v]) => [n, v.dataSync() as Float32Array]),
      );
      out.set("loss", Float32Array.of(r.loss));
      opt.dispose();
      model.dispose();
      return out;
    };
    const whole = await run(undefined);
    const split = await run(1);
    expect(split.get("loss")![0]).toBeCloseTo(whole.get("loss")![0]!, 5);
    for (const [name, a] of whole) {
      const b = split.get(name)!;
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      expect(diff, name).toBeLessThan(1e-4);
    }
  });
});

describe("gradients", () => {
  it("match central differences on the cpu backend", async () => {
    await useBackend("cpu");
    const config = {
      kv_heads: 2,
      qk_norm: "full",
      norm: "layer",
      biases: "all",
      mlp: { fn: "gelu", hidden: 24 },
    };
    const model = tinyModel(config);
    const code = await tinyCode(config);
    const batch = patternBatch(1, 8);
    const names = [
      "llm.layers.1.mlp.up.bias",
      "llm.layers.0.attn.q.weight",
      "llm.layers.1.mlp.up.bias",
      "llm.embed.weight",
      "llm.layers.0.attn.q_norm.weight",
    ];
    const vars = names.map((n) => model.params.get(n));
    const { grads } = tf.variableGrads(() => code.loss(model, batch).total, vars);
    for (const v of vars) {
      const g = grads[v.name]!.dataSync();
      const values = v.dataSync().slice();
      let worst = 0;
      for (const i of [0, 5, 11]) {
        const h = 2e-3;
        const at = (delta: number): number => {
          const copy = values.slice();
          copy[i] = (copy[i] as number) + delta;
          v.assign(tf.tensor(copy, v.shape));
          return tf.tidy(() => code.loss(model, batch).total.dataSync()[0] as number);
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        worst = Math.max(worst, Math.abs(numeric - (g[i] as number)) / (1e-2 + Math.abs(numeric)));
        v.assign(tf.tensor(values, v.shape));
      }
      expect(worst).toBeLessThan(0.03);
    }
    model.dispose();
  });
});
