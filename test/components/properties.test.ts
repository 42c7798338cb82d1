// Property tests: manifests agree with closed-form parameter formulas written independently here,
// counts add up over parts, unrelated fields change nothing, and manifests are well formed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countParams, numel } from "../../src/components/blocks.js";
import { componentSummary, type ComponentSummary } from "../../src/components/counting.js";
import { composeModel } from "../../src/components/model.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import type { Config, ResolveContext, WeightTensor } from "../../src/components/types.js";

function summary(kind: string, config: Config, context: ResolveContext = {}): ComponentSummary {
  const k = COMPONENT_KINDS[kind];
  const s = k && componentSummary(k, config, context);
  if (!s?.ok) throw new Error(`${kind} did not resolve: ${JSON.stringify(s)}`);
  return s;
}

interface DecoderArgs {
  vocab: number;
  heads: number;
  kvDiv: number;
  headDim: number;
  explicitHeadDim: boolean;
  extraWidth: number;
  depth: number;
  fn: "gelu" | "swiglu" | "relu";
  hidden: number;
  norm: "layer" | "rms";
  biases: "none" | "all" | "qkv";
  qkNorm: "none" | "full" | "head";
  position: "learned" | "rope" | "none";
  context: number;
  tied: boolean;
  finalNorm: boolean;
  moe: {
    experts: number;
    topK: number;
    every: number;
    hidden: number;
    shared: number;
    gate: boolean;
  } | null;
}

const decoderArgs: fc.Arbitrary<DecoderArgs> = fc
  .record({
    vocab: fc.integer({ min: 1, max: 300 }),
    heads: fc.constantFrom(1, 2, 4, 6, 8),
    kvDiv: fc.constantFrom(1, 2),
    headDim: fc.integer({ min: 1, max: 8 }).map((x) => 2 * x),
    explicitHeadDim: fc.boolean(),
    extraWidth: fc.integer({ min: 0, max: 5 }),
    depth: fc.integer({ min: 1, max: 6 }),
    fn: fc.constantFrom("gelu" as const, "swiglu" as const, "relu" as const),
    hidden: fc.integer({ min: 1, max: 64 }),
    norm: fc.constantFrom("layer" as const, "rms" as const),
    biases: fc.constantFrom("none" as const, "all" as const, "qkv" as const),
    qkNorm: fc.constantFrom("none" as const, "full" as const, "head" as const),
    position: fc.constantFrom("learned" as const, "rope" as const, "none" as const),
    context: fc.integer({ min: 1, max: 64 }),
    tied: fc.boolean(),
    finalNorm: fc.boolean(),
    moe: fc.option(
      fc.record({
        experts: fc.integer({ min: 1, max: 6 }),
        topK: fc.integer({ min: 1, max: 6 }),
        every: fc.integer({ min: 1, max: 6 }),
        hidden: fc.integer({ min: 1, max: 32 }),
        shared: fc.integer({ min: 0, max: 2 }),
        gate: fc.boolean(),
      }),
    ),
  })
  .map((a) => ({
    ...a,
    kvDiv: a.heads % a.kvDiv === 0 ? a.kvDiv : 1,
    moe: a.moe && {
      ...a.moe,
      topK: Math.min(a.moe.topK, a.moe.experts),
      every: Math.min(a.moe.every, a.depth),
    },
  }));

function decoderConfig(a: DecoderArgs): Config {
  const width = a.explicitHeadDim ? a.heads * a.headDim + a.extraWidth : a.heads * a.headDim;
  return {
    vocab: a.vocab,
    width,
    depth: a.depth,
    heads: a.heads,
    kv_heads: a.heads / a.kvDiv,
    ...(a.explicitHeadDim ? { head_dim: a.headDim } : {}),
    mlp: { fn: a.fn, hidden: a.hidden },
    norm: a.norm,
    biases: a.biases,
    qk_norm: a.qkNorm,
    position: a.position,
    context: a.context,
    tied: a.tied,
    final_norm: a.finalNorm,
    ...(a.moe
      ? {
          moe: {
            experts: a.moe.experts,
            top_k: a.moe.topK,
            every: a.moe.every,
            hidden: a.moe.hidden,
            shared: a.moe.shared,
            shared_gate: a.moe.gate,
          },
        }
      : {}),
  };
}

/** Parameters of a Decoder, written out from the architecture description, not from the manifest. */
function decoderFormula(a: DecoderArgs): { total: number; active: number } {
  const w = a.explicitHeadDim ? a.heads * a.headDim + a.extraWidth : a.heads * a.headDim;
  const q = a.heads * a.headDim;
  const kv = (a.heads / a.kvDiv) * a.headDim;
  const nb = a.norm === "layer" ? 2 : 1;
  const attn =
    w * q +
    2 * w * kv +
    q * w +
    (a.biases !== "none" ? q + 2 * kv : 0) +
    (a.biases === "all" ? w : 0);
  const qk = a.qkNorm === "full" ? nb * (q + kv) : a.qkNorm === "head" ? nb * 2 * a.headDim : 0;
  const mlp = (h: number) =>
    (a.fn === "swiglu" ? 3 : 2) * w * h +
    (a.biases === "all" ? (a.fn === "swiglu" ? 2 : 1) * h + w : 0);
  let total = a.vocab * w + (a.position === "learned" ? a.context * w : 0);
  let unused = 0;
  for (let i = 0; i < a.depth; i++) {
    total += 2 * nb * w + attn + qk;
    const m = a.moe;
    if (m && (i + 1) % m.every === 0) {
      total +=
        w * m.experts +
        m.experts * mlp(m.hidden) +
        m.shared * mlp(m.hidden) +
        (m.gate && m.shared > 0 ? w : 0);
      unused += (m.experts - m.topK) * mlp(m.hidden);
    } else total += mlp(a.hidden);
  }
  total += (a.finalNorm ? nb * w : 0) + (a.tied ? 0 : w * a.vocab);
  return { total, active: total - unused };
}

function wellFormed(manifest: readonly WeightTensor[]): void {
  const names = new Set(manifest.map((t) => t.name));
  expect(names.size).toBe(manifest.length);
  for (const t of manifest) {
    expect(t.shape.every((d) => Number.isInteger(d) && d > 0)).toBe(true);
    if (t.tiedTo !== undefined) {
      const target = manifest.find((u) => u.name === t.tiedTo);
      expect(target && numel(target.shape)).toBe(numel(t.shape));
    }
  }
}

describe("Decoder properties", () => {
  it("manifest counts equal the closed-form formula (total and active)", () => {
    fc.assert(
      fc.property(decoderArgs, (a) => {
        const s = summary("Decoder", decoderConfig(a));
        const f = decoderFormula(a);
        expect(s.params).toBe(f.total);
        expect(s.activeParams).toBe(f.active);
        expect(countParams(s.manifest)).toBe(s.params);
        wellFormed(s.manifest);
      }),
      { numRuns: 150 },
    );
  });

  it("fields that hold no weights change no count", () => {
    fc.assert(
      fc.property(
        decoderArgs,
        fc.integer({ min: 2, max: 100_000 }),
        fc.double({ min: 0.01, max: 8, noNaN: true }),
        (a, base, factor) => {
          const c = decoderConfig({ ...a, position: "rope" });
          const s = summary("Decoder", c);
          const moe = c["moe"] as Config | undefined;
          const changed = {
            ...c,
            rope_base: base,
            context: (c["context"] as number) + 7,
            ...(moe
              ? { moe: { ...moe, capacity: factor, balance_loss: factor, z_loss: factor } }
              : {}),
          };
          const t = summary("Decoder", changed);
          expect([t.params, t.activeParams]).toEqual([s.params, s.activeParams]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("more experts at the same top_k add only router weights to the active count", () => {
    fc.assert(
      fc.property(decoderArgs, fc.integer({ min: 1, max: 4 }), (a, more) => {
        const m = a.moe ?? { experts: 2, topK: 1, every: 1, hidden: 4, shared: 0, gate: false };
        const base = summary("Decoder", decoderConfig({ ...a, moe: m }));
        const bigger = summary(
          "Decoder",
          decoderConfig({ ...a, moe: { ...m, experts: m.experts + more } }),
        );
        const moeLayers = Math.floor(a.depth / m.every);
        const width = base.config["width"] as number;
        expect(bigger.activeParams - base.activeParams).toBe(moeLayers * width * more);
        expect(bigger.params).toBeGreaterThan(base.params);
      }),
      { numRuns: 60 },
    );
  });
});

const vitArgs = fc.record({
  heads: fc.integer({ min: 1, max: 4 }),
  headDim: fc.integer({ min: 1, max: 8 }),
  depth: fc.integer({ min: 1, max: 3 }),
  patch: fc.integer({ min: 1, max: 8 }),
  gridH: fc.integer({ min: 1, max: 6 }),
  gridW: fc.integer({ min: 1, max: 6 }),
  channels: fc.integer({ min: 1, max: 4 }),
  hidden: fc.integer({ min: 1, max: 40 }),
  classToken: fc.boolean(),
  patchBias: fc.boolean(),
  preNorm: fc.boolean(),
  finalNorm: fc.boolean(),
  classes: fc.option(fc.integer({ min: 1, max: 20 })),
  norm: fc.constantFrom("layer", "rms"),
  qkvBias: fc.boolean(),
  bias: fc.boolean(),
});

describe("ViT properties", () => {
  it("manifest counts equal the closed-form formula", () => {
    fc.assert(
      fc.property(vitArgs, (a) => {
        const w = a.heads * a.headDim;
        const config = {
          patch: a.patch,
          width: w,
          depth: a.depth,
          heads: a.heads,
          mlp: a.hidden,
          class_token: a.classToken,
          patch_bias: a.patchBias,
          pre_norm: a.preNorm,
          final_norm: a.finalNorm,
          ...(a.classes === null ? {} : { classes: a.classes }),
          norm: a.norm,
          qkv_bias: a.qkvBias,
          bias: a.bias,
        };
        const image = [a.channels, a.gridH * a.patch, a.gridW * a.patch] as const;
        const s = summary("ViT", config, { image });
        const nb = a.norm === "layer" ? 2 : 1;
        const b = a.bias ? 1 : 0;
        const block =
          2 * nb * w +
          4 * w * w +
          (a.qkvBias ? 3 * w : 0) +
          b * w +
          2 * w * a.hidden +
          b * (a.hidden + w);
        const expected =
          a.patch * a.patch * a.channels * w +
          (a.patchBias ? w : 0) +
          (a.classToken ? w : 0) +
          (a.gridH * a.gridW + (a.classToken ? 1 : 0)) * w +
          (a.preNorm ? nb * w : 0) +
          a.depth * block +
          (a.finalNorm ? nb * w : 0) +
          (a.classes === null ? 0 : w * a.classes + b * a.classes);
        expect(s.params).toBe(expected);
        expect(s.output).toEqual({ tokens: a.gridH * a.gridW, width: w, grid: [a.gridH, a.gridW] });
        wellFormed(s.manifest);
      }),
      { numRuns: 150 },
    );
  });
});

const modelArgs = fc.record({
  side: fc.integer({ min: 2, max: 6 }),
  patch: fc.constantFrom(2, 4),
  vitWidth: fc.constantFrom(8, 16, 24),
  llmWidth: fc.constantFrom(8, 16, 32),
  vocab: fc.integer({ min: 2, max: 200 }),
  connector: fc.constantFrom("AvgPool", "AttnPool", "CAbstractor", "MLPProjector"),
  poolSide: fc.integer({ min: 1, max: 2 }),
  depth: fc.integer({ min: 0, max: 2 }),
});

describe("model properties", () => {
  it("counts add up over the parts and the manifest sums to the parameters", () => {
    fc.assert(
      fc.property(modelArgs, (a) => {
        const image = [3, a.side * a.patch, a.side * a.patch] as const;
        const vision = { patch: a.patch, width: a.vitWidth, depth: 1, heads: 2 };
        const connector: Config =
          a.connector === "MLPProjector"
            ? {}
            : a.connector === "CAbstractor"
              ? { tokens: a.poolSide ** 2, depth: a.depth }
              : { tokens: a.poolSide ** 2, heads: 2 };
        const llm = { vocab: a.vocab, width: a.llmWidth, depth: 2, heads: 2, context: 256 };
        const m = composeModel({
          image,
          vision: { kind: "ViT", config: vision },
          connector: { kind: a.connector, config: connector },
          llm: { kind: "Decoder", config: llm },
        });
        if (!m.ok) throw new Error(JSON.stringify(m.problems));
        const v = summary("ViT", vision, { image });
        const c = summary(a.connector, connector, { input: v.output, llmWidth: a.llmWidth });
        const l = summary("Decoder", llm);
        expect(m.params).toBe(v.params + c.params + l.params);
        expect(countParams(m.manifest)).toBe(m.params);
        wellFormed(m.manifest);
        // An unrelated part's field (the vocabulary) leaves the vision side alone.
        const other = composeModel({
          image,
          vision: { kind: "ViT", config: vision },
          connector: { kind: a.connector, config: connector },
          llm: { kind: "Decoder", config: { ...llm, vocab: a.vocab + 1 } },
        });
        if (!other.ok) throw new Error("resolve failed");
        expect(other.parts.vision?.params).toBe(m.parts.vision?.params);
        expect(other.parts.connector?.params).toBe(m.parts.connector?.params);
        expect(other.params - m.params).toBe(2 * a.llmWidth);
      }),
      { numRuns: 100 },
    );
  });
});
