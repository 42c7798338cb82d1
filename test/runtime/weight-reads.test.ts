// Differential test between the checker's weight manifests (components/) and the forward pass
// (the model's generated code over runtime/layers/), two independent descriptions of the same
// model: for every component kind and option, one forward and backward pass over a tiny batch must
// read every manifest tensor by its name and shape, give each a non-zero gradient, and read
// nothing else.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { composeModel, type ModelInput } from "../../src/components/model.js";
import type { Config } from "../../src/components/types.js";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import { MultimodalModel, type ModelBatch, type ModelCode } from "../../src/runtime/model.js";
import { generatedCode } from "./generated-code.js";
import { patternBatch, tinyDecoder, useBackend } from "./helpers.js";

interface Case {
  readonly name: string;
  readonly input: ModelInput;
  /**
   * Manifest tensors the forward pass legitimately leaves without a gradient, each with the reason
   * (matched against the full name). The test also checks that these gradients really are ~0.
   */
  readonly noGrad?: readonly { readonly pattern: RegExp; readonly why: string }[];
}

// A bias added to every key alike shifts each query's scores by one constant, which softmax
// ignores, so its gradient is exactly zero. Rotary positions rotate it differently at each
// position, which breaks that; norms before it (k_norm) do not remove it if they carry a bias.
const KEY_BIAS = { pattern: /\.attn\.k\.bias$/, why: "softmax ignores a bias shared by all keys" };
const KEY_NORM_BIAS = {
  pattern: /\.attn\.k_norm\.bias$/,
  why: "a LayerNorm bias on the keys is shared by all keys, which softmax ignores",
};

const vitBase: Config = { patch: 4, width: 16, depth: 1, heads: 2 };
const image: readonly [number, number, number] = [3, 16, 16];

function decoderCase(name: string, config: Config, noGrad: Case["noGrad"] = []): Case {
  return { name, input: { llm: { kind: "Decoder", config: tinyDecoder(config) } }, noGrad };
}

function visionCase(
  name: string,
  vision: Config,
  connector: { kind: string; config: Config },
  noGrad: Case["noGrad"] = [],
  llm: Config = {},
): Case {
  return {
    name,
    input: {
      image,
      vision: { kind: "ViT", config: vision },
      connector,
      llm: { kind: "Decoder", config: tinyDecoder(llm) },
    },
    noGrad,
  };
}

const CASES: readonly Case[] = [
  decoderCase("decoder: rope, rms, swiglu, untied, no biases", {}),
  decoderCase("decoder: GQA with an explicit head_dim and a full qk_norm", {
    kv_heads: 2,
    head_dim: 12,
    qk_norm: "full",
  }),
  decoderCase(
    "decoder: learned positions, layer norms, qkv biases, per-head qk_norm",
    { position: "learned", norm: "layer", biases: "qkv", qk_norm: "head" },
    [KEY_NORM_BIAS],
  ),
  decoderCase(
    "decoder: gelu, all biases, tied head, no positions, no final norm",
    {
      mlp: { fn: "gelu", hidden: 40 },
      biases: "all",
      tied: true,
      position: "none",
      final_norm: false,
    },
    [KEY_BIAS],
  ),
  decoderCase("decoder: relu, rope with qkv biases and a rope_base", {
    mlp: { fn: "relu", hidden: 40 },
    biases: "qkv",
    rope_base: 500,
    norm: "layer",
  }),
  decoderCase("decoder: MoE every 2nd layer with a gated shared expert", {
    moe: { experts: 4, top_k: 2, every: 2, shared: 1, shared_gate: true, capacity: 8 },
  }),
  decoderCase("decoder: MoE in all layers, top-1, two shared experts, biases, gelu", {
    mlp: { fn: "gelu", hidden: 40 },
    biases: "all",
    moe: { experts: 3, top_k: 1, every: "all", shared: 2, shared_hidden: 24, capacity: 8 },
  }),
  visionCase("ViT defaults + AvgPool", vitBase, { kind: "AvgPool", config: { tokens: 4 } }),
  visionCase(
    "ViT without class token, patch bias or biases, rms, pre-norm, swiglu + AttnPool",
    {
      ...vitBase,
      class_token: false,
      patch_bias: false,
      qkv_bias: false,
      bias: false,
      norm: "rms",
      pre_norm: true,
      final_norm: false,
      mlp: { fn: "swiglu", hidden: 24 },
    },
    { kind: "AttnPool", config: { tokens: 4, heads: 2 } },
    [KEY_BIAS],
  ),
  visionCase(
    "ViT with a classification head + CAbstractor with a shortcut",
    { ...vitBase, classes: 5 },
    { kind: "CAbstractor", config: { tokens: 4, depth: 1, hidden: 24 } },
    [
      {
        pattern: /^vision\.head\./,
        why: "the class token and its head are dropped before the connector: nothing is scored on them",
      },
    ],
  ),
  visionCase(
    "ViT + CAbstractor without positions, two blocks per stage and a one-layer readout",
    { ...vitBase, mlp: 24 },
    { kind: "CAbstractor", config: { tokens: 4, depth: 2, pos_embed: false, mlp_depth: 1 } },
  ),
  visionCase("ViT + CAbstractor with depth 0 (pooling and MLP only)", vitBase, {
    kind: "CAbstractor",
    config: { tokens: 4, depth: 0 },
  }),
  visionCase(
    "ViT + MLPProjector into a GQA decoder with learned positions",
    vitBase,
    { kind: "MLPProjector", config: { hidden: 20 } },
    [KEY_BIAS],
    { kv_heads: 2, position: "learned", biases: "qkv", context: 32 },
  ),
];

/** A text batch, with one image per row placed over the first image-token positions. */
function batchFor(input: ModelInput, imageTokens: number): ModelBatch {
  const b = patternBatch(2, Math.max(16, imageTokens + 8));
  if (input.image === undefined) return b;
  const [c, h, w] = input.image;
  const tokens = Int32Array.from(b.tokens);
  const lossMask = Uint8Array.from(b.lossMask);
  for (let r = 0; r < b.batchSize; r++)
    for (let j = 0; j < imageTokens; j++) {
      tokens[r * b.sequence + 1 + j] = 0;
      lossMask[r * b.sequence + 1 + j] = 0;
    }
  return {
    ...b,
    tokens,
    lossMask,
    images: new Float32Array(b.batchSize * c * h * w).map((_, i) => Math.sin(i * 0.37)),
    imageSize: h,
    imageSlots: Array.from({ length: b.batchSize }, (_, r) => ({
      row: r,
      start: 1,
      length: imageTokens,
      image: r,
    })),
  };
}

interface PassResult {
  readonly reads: ReadonlyMap<string, { count: number; shape: readonly number[] }>;
  readonly outside: readonly string[];
  /** Largest absolute gradient per owned tensor. */
  readonly grads: ReadonlyMap<string, number>;
  readonly loads: readonly number[][];
}

function forwardBackward(model: MultimodalModel, code: ModelCode, batch: ModelBatch): PassResult {
  const recorder = model.recordReads();
  const vars = model.params.entries().map(([, v]) => v);
  const loads: number[][] = [];
  const grads = new Map<string, number>();
  tf.tidy(() => {
    const { grads: g } = tf.variableGrads(() => {
      const parts = code.loss(model, batch);
      loads.push(...parts.moe.load);
      return parts.total;
    }, vars);
    for (const [name, v] of model.params.entries()) {
      const t = g[v.name];
      grads.set(name, t === undefined ? 0 : (tf.max(tf.abs(t)).dataSync()[0] as number));
    }
  });
  return {
    reads: recorder.reads,
    outside: recorder.outside,
    grads,
    loads,
  };
}

/** Runs one forward and backward pass of `input` and holds what it read against the manifest. */
async function checkReads(input: ModelInput, noGrad: Case["noGrad"] = []): Promise<void> {
  await useBackend("cpu");
  const summary = composeModel(input);
  if (!summary.ok) throw new Error(summary.problems.map((p) => p.message).join("; "));
  const code = await generatedCode(input);
  const model = new MultimodalModel(summary, 3);
  try {
    const r = forwardBackward(model, code, batchFor(input, summary.imageTokens));
    // Every MoE expert got tokens, so each expert's tensors must get a gradient.
    for (const load of r.loads) for (const l of load) expect(l).toBeGreaterThan(0);
    expect(r.outside).toEqual([]);
    const manifest = new Map(summary.manifest.map((t) => [t.name, t]));
    for (const name of r.reads.keys())
      expect(manifest.has(name), `read \`${name}\`, not in the manifest`).toBe(true);
    const exempt = (name: string): string | undefined =>
      noGrad.find((e) => e.pattern.test(name))?.why;
    let largest = 0;
    for (const g of r.grads.values()) largest = Math.max(largest, g);
    for (const t of summary.manifest) {
      if (t.tiedTo !== undefined) {
        // Tied tensors own no storage: the forward pass reads the tensor they share instead.
        expect(r.reads.has(t.name), `tied \`${t.name}\` read under its own name`).toBe(false);
        expect(r.reads.has(t.tiedTo), `\`${t.tiedTo}\` (tied to by ${t.name})`).toBe(true);
        continue;
      }
      const why = exempt(t.name);
      const read = r.reads.get(t.name);
      if (why !== undefined && /dropped before/.test(why)) {
        expect(read, `\`${t.name}\` (${why})`).toBeUndefined();
        continue;
      }
      expect(read, `manifest tensor \`${t.name}\` never read`).toBeDefined();
      expect([...(read?.shape ?? [])], t.name).toEqual([...t.shape]);
      const g = r.grads.get(t.name) ?? 0;
      if (why === undefined) expect(g, `gradient of \`${t.name}\``).toBeGreaterThan(0);
      else expect(g, `gradient of \`${t.name}\` (${why})`).toBeLessThan(1e-4 * largest);
    }
    // Every exemption matched something: a stale one would hide nothing but mislead.
    for (const e of noGrad)
      expect(
        summary.manifest.some((t) => e.pattern.test(t.name)),
        String(e.pattern),
      ).toBe(true);
  } finally {
    model.dispose();
  }
}

describe("the forward pass reads exactly the checker's manifest", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await checkReads(c.input, c.noGrad);
  });
});

// Every tensor of the example's models gets a gradient: none needs an exemption.
describe("the same for every model of examples/tiny.mm, as the checker built it", () => {
  const result = checkFile("examples/tiny.mm", fileHost);
  const models = result.checked?.models ?? [];

  it("the example checks and has models", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(models.length).toBeGreaterThanOrEqual(4);
  });

  it.each(models.map((m) => [m.name, m] as const))("%s", async (_name, m) => {
    await checkReads({ ...(m.image ? { image: m.image } : {}), ...m.parts });
  });
});
