// Whole models: shapes through the parts, per-part and total counts, composition rules, problems
// moved to model paths, FLOPs and the training-memory formula.
import { describe, expect, it } from "vitest";
import { componentSummary } from "../../src/components/counting.js";
import {
  PRECISION_BYTES,
  composeModel,
  type ModelInput,
  type ModelSummary,
} from "../../src/components/model.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";

const LLAMA_7B = {
  vocab: 32000,
  width: 4096,
  depth: 32,
  heads: 32,
  mlp: { fn: "swiglu", hidden: 11008 },
  norm: "rms",
  position: "rope",
  context: 4096,
};

const CLIP_L14 = {
  patch: 14,
  width: 1024,
  depth: 24,
  heads: 16,
  mlp: 4096,
  patch_bias: false,
  pre_norm: true,
};

const TINY: ModelInput = {
  image: [3, 64, 64],
  vision: { kind: "ViT", config: { patch: 8, width: 128, depth: 4, heads: 4 } },
  connector: { kind: "CAbstractor", config: { tokens: 16 } },
  llm: {
    kind: "Decoder",
    config: {
      vocab: 512,
      width: 256,
      depth: 4,
      heads: 4,
      kv_heads: 2,
      mlp: { fn: "swiglu", hidden: 688 },
      context: 512,
      moe: { experts: 4, top_k: 2, every: 2 },
    },
  },
  imagesPerSequence: 4,
};

function ok(input: ModelInput): ModelSummary {
  const r = composeModel(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
  return r;
}

describe("composeModel", () => {
  it("carries shapes from the image to the language model (LLaVA-1.5-7B layout)", () => {
    const m = ok({
      image: [3, 336, 336],
      vision: { kind: "ViT", config: CLIP_L14 },
      connector: { kind: "MLPProjector", config: {} },
      llm: { kind: "Decoder", config: LLAMA_7B },
    });
    expect(m.parts.vision?.output).toEqual({ tokens: 576, width: 1024, grid: [24, 24] });
    expect(m.parts.connector?.output).toEqual({ tokens: 576, width: 4096, grid: [24, 24] });
    expect(m.imageTokens).toBe(576);
    // The parts' published counts add up.
    expect(m.params).toBe(303_507_456 + 20_979_712 + 6_738_415_616);
    expect(m.activeParams).toBe(m.params);
  });

  it("pools MM1's 27x27 ViT-H/14 grid to 144 tokens and fits 16 images in 4096", () => {
    const m = ok({
      image: [3, 378, 378],
      vision: { kind: "ViT", config: { patch: 14, width: 1280, depth: 32, heads: 16, mlp: 5120 } },
      connector: { kind: "CAbstractor", config: { tokens: 144 } },
      llm: { kind: "Decoder", config: LLAMA_7B },
      imagesPerSequence: 16,
    });
    expect(m.parts.vision?.output.tokens).toBe(729);
    expect(m.imageTokens).toBe(144);
    expect(m.parts.connector?.config["in"]).toBe(1280);
    expect(m.parts.connector?.config["out"]).toBe(4096);
  });

  it("counts a small MoE model and its active parameters per part", () => {
    const m = ok(TINY);
    expect(m.parts.llm.activeParams).toBeLessThan(m.parts.llm.params);
    expect(m.params - m.activeParams).toBe(m.parts.llm.params - m.parts.llm.activeParams);
    expect(m.manifest.every((t) => /^(vision|connector|llm)\./.test(t.name))).toBe(true);
    expect(m.imageTokens).toBe(16);
  });

  it("builds a text-only model", () => {
    const m = ok({ llm: { kind: "Decoder", config: LLAMA_7B } });
    expect(m.params).toBe(6_738_415_616);
    expect([m.imageTokens, m.imagesPerSequence, m.flopsPerImage]).toEqual([0, 0, 0]);
  });

  it("MM2212: images per sequence times image tokens must leave room for text", () => {
    const r = composeModel({
      image: [3, 336, 336],
      vision: { kind: "ViT", config: CLIP_L14 },
      connector: { kind: "MLPProjector", config: {} },
      llm: { kind: "Decoder", config: LLAMA_7B },
      imagesPerSequence: 8,
    });
    expect(r.ok).toBe(false);
    const p = !r.ok ? r.problems[0] : undefined;
    expect(p?.code).toBe("MM2212");
    expect(p?.message).toContain("4608");
    // MLPProjector has no `tokens` field, so the connector as a whole is the reason.
    expect(p?.related).toEqual(["connector", "llm.context"]);
    expect(p?.labels).toEqual({
      connector: "576 tokens per image",
      "llm.context": "a context of 4096 tokens",
    });
    expect(p?.help).toContain("at most 7 images");
  });

  it("MM2214 and MM2011: incomplete vision paths", () => {
    const noConnector = composeModel({ ...TINY, connector: undefined });
    expect(!noConnector.ok && noConnector.problems.map((p) => p.code)).toEqual(["MM2214"]);
    const noImage = composeModel({ ...TINY, image: undefined });
    expect(!noImage.ok && noImage.problems.map((p) => [p.code, p.fields[0]])).toEqual([
      ["MM2011", "vision"],
    ]);
  });

  it("MM2009: a part of the wrong role", () => {
    const r = composeModel({ ...TINY, vision: { kind: "Decoder", config: {} } });
    expect(!r.ok && r.problems.map((p) => [p.code, p.fields[0]])).toEqual([["MM2009", "vision"]]);
  });

  it("moves part problems to model paths", () => {
    const widthMismatch = composeModel({
      ...TINY,
      connector: { kind: "AvgPool", config: { tokens: 16, out: 100 } },
    });
    expect(!widthMismatch.ok && widthMismatch.problems[0]).toMatchObject({
      code: "MM2203",
      fields: ["connector.out"],
      related: ["llm.width"],
    });
    const moe = composeModel({
      ...TINY,
      llm: { kind: "Decoder", config: { ...TINY.llm.config, moe: { experts: 2, top_k: 3 } } },
    });
    expect(!moe.ok && moe.problems[0]?.fields).toEqual(["llm.moe.top_k"]);
    const every = composeModel({
      ...TINY,
      llm: { kind: "Decoder", config: { ...TINY.llm.config, moe: { every: 9 } } },
    });
    expect(!every.ok && every.problems[0]?.related).toEqual(["llm.depth"]);
    expect(!every.ok && every.problems[0]?.labels).toEqual({
      "llm.moe.every": "every 9 layers",
      "llm.depth": "4 layers",
    });
    expect(!widthMismatch.ok && widthMismatch.problems[0]?.labels).toEqual({
      "connector.out": "the connector produces width 100",
      "llm.width": "the language model reads width 256",
    });
  });

  it("one broken encoder gives one problem, not one per dependent part", () => {
    const r = composeModel({ ...TINY, image: [3, 60, 60] });
    expect(!r.ok && r.problems.map((p) => [p.code, p.fields[0]])).toEqual([
      ["MM2201", "vision.patch"],
    ]);
  });
});

describe("costs", () => {
  it("flops per token grow with the attention span and count MoE top_k experts only", () => {
    const k = COMPONENT_KINDS["Decoder"];
    const s = k && componentSummary(k, TINY.llm.config);
    if (!s?.ok || !k) throw new Error("resolve failed");
    const short = k.flops(s.config, { sequence: 128 });
    const long = k.flops(s.config, { sequence: 512 });
    // 4 layers x 4 x (512 - 128) positions x query width 256.
    expect(long - short).toBe(4 * 4 * (512 - 128) * 256);
    expect(long).toBe(s.flops);
    // Every multiply-add of the active weights (embedding lookup excluded) at least once.
    expect(s.flops).toBeGreaterThan(2 * (s.activeParams - 512 * 256));
  });

  it("GPT-2 flops per token follow 2N + 2 * layers * context * width * 2", () => {
    const k = COMPONENT_KINDS["Decoder"];
    const gpt2 = {
      vocab: 50257,
      context: 1024,
      width: 768,
      depth: 12,
      heads: 12,
      norm: "layer",
      biases: "all",
      position: "learned",
      tied: true,
    };
    const s = k && componentSummary(k, gpt2);
    if (!s?.ok) throw new Error("resolve failed");
    const matmulWeights = 12 * (4 * 768 * 768 + 2 * 768 * 3072) + 768 * 50257;
    expect(s.flops).toBe(2 * matmulWeights + 12 * 4 * 1024 * 768);
  });

  it("training memory is weights + gradients + AdamW state + activations", () => {
    const m = ok(TINY);
    const fp32 = m.trainMemory({ batch: 8, sequence: 256 });
    expect(fp32.precision).toBe("fp32");
    expect([fp32.weights, fp32.gradients, fp32.optimizer]).toEqual([
      4 * m.params,
      4 * m.params,
      8 * m.params,
    ]);
    expect(fp32.total).toBe(fp32.weights + fp32.gradients + fp32.optimizer + fp32.activations);
    const double = m.trainMemory({ batch: 16, sequence: 256 });
    expect(double.activations).toBe(2 * fp32.activations);
    const bf16 = m.trainMemory({ batch: 8, sequence: 256, precision: "bf16" });
    expect(bf16.activations * 2).toBe(fp32.activations);
    expect(bf16.weights).toBe(m.params * PRECISION_BYTES.bf16.weights);
    // Text activations grow faster than the sequence: attention probabilities are sequence^2.
    const text = ok({ llm: TINY.llm });
    const short = text.trainMemory({ batch: 8, sequence: 256 }).activations;
    expect(text.trainMemory({ batch: 8, sequence: 512 }).activations).toBeGreaterThan(2 * short);
  });

  it("images add activation memory per image", () => {
    const one = ok({ ...TINY, imagesPerSequence: 1 }).trainMemory({ batch: 1, sequence: 256 });
    const two = ok({ ...TINY, imagesPerSequence: 2 }).trainMemory({ batch: 1, sequence: 256 });
    const vit = COMPONENT_KINDS["ViT"];
    const v = vit && componentSummary(vit, TINY.vision?.config ?? {}, { image: [3, 64, 64] });
    if (!v?.ok) throw new Error("resolve failed");
    expect(two.activations - one.activations).toBeGreaterThan(4 * v.activations - 1);
  });
});
