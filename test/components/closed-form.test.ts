// Differential test of the closed-form counts: for random valid configs of every kind and every
// option, `kind.params` (arithmetic per layer pattern) equals the sums over the weight manifest
// exactly, and the Decoder's and C-Abstractor's per-pattern FLOPs and activations equal a loop
// over every layer written out here. Also: huge sizes are counted in constant time.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  attentionActivations,
  attentionFlops,
  countParams,
  linearFlops,
  mlpActivations,
  mlpFlops,
  type AttentionShape,
} from "../../src/components/blocks.js";
import { activeParams, componentSummary, moeRouting } from "../../src/components/counting.js";
import { composeModel } from "../../src/components/model.js";
import { moeLayers } from "../../src/components/moe.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import type { Config, ResolveContext } from "../../src/components/types.js";

function kind(name: string) {
  const k = COMPONENT_KINDS[name];
  if (!k) throw new Error(name);
  return k;
}

/** Resolves and checks params against the manifest; returns the resolved config. */
function agrees(name: string, config: Config, context: ResolveContext = {}): Config {
  const k = kind(name);
  const r = k.resolve(config, context);
  if (!r.ok) throw new Error(`${name} ${JSON.stringify(config)}: ${JSON.stringify(r.problems)}`);
  const manifest = k.manifest(r.config);
  const counted = k.params(r.config);
  const routing =
    k.role === "moe"
      ? { experts: r.config["experts"] as number, topK: r.config["top_k"] as number }
      : moeRouting(r.config);
  expect(counted.total).toBe(countParams(manifest));
  expect(counted.active).toBe(activeParams(manifest, routing));
  return r.config;
}

const fn = fc.constantFrom("gelu" as const, "swiglu" as const, "relu" as const);

const moeArgs = fc.record({
  experts: fc.integer({ min: 1, max: 6 }),
  topK: fc.integer({ min: 1, max: 6 }),
  every: fc.integer({ min: 1, max: 7 }),
  hidden: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
  shared: fc.integer({ min: 0, max: 3 }),
  sharedHidden: fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
  gate: fc.boolean(),
});

const decoderConfig = fc
  .record({
    vocab: fc.integer({ min: 1, max: 200 }),
    heads: fc.constantFrom(1, 2, 3, 4, 6),
    kvDiv: fc.constantFrom(1, 2, 3),
    headDim: fc.integer({ min: 1, max: 6 }).map((x) => 2 * x),
    explicitHeadDim: fc.boolean(),
    extraWidth: fc.integer({ min: 0, max: 3 }),
    depth: fc.integer({ min: 1, max: 9 }),
    fn,
    hidden: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
    norm: fc.constantFrom("layer", "rms"),
    biases: fc.constantFrom("none", "all", "qkv"),
    qkNorm: fc.constantFrom("none", "full", "head"),
    position: fc.constantFrom("learned", "rope", "none"),
    context: fc.integer({ min: 1, max: 50 }),
    tied: fc.boolean(),
    finalNorm: fc.boolean(),
    moe: fc.option(moeArgs, { nil: undefined }),
  })
  .map((a): Config => {
    const width = a.explicitHeadDim ? a.heads * a.headDim + a.extraWidth : a.heads * a.headDim;
    const kvDiv = a.heads % a.kvDiv === 0 ? a.kvDiv : 1;
    const m = a.moe;
    return {
      vocab: a.vocab,
      width,
      depth: a.depth,
      heads: a.heads,
      kv_heads: a.heads / kvDiv,
      ...(a.explicitHeadDim ? { head_dim: a.headDim } : {}),
      ...(a.hidden === undefined ? {} : { mlp: { fn: a.fn, hidden: a.hidden } }),
      norm: a.norm,
      biases: a.biases,
      qk_norm: a.qkNorm,
      position: a.position,
      context: a.context,
      tied: a.tied,
      final_norm: a.finalNorm,
      ...(m
        ? {
            moe: {
              experts: m.experts,
              top_k: Math.min(m.topK, m.experts),
              every: Math.min(m.every, a.depth),
              ...(m.hidden === undefined ? {} : { hidden: m.hidden }),
              shared: m.shared,
              ...(m.sharedHidden === undefined ? {} : { shared_hidden: m.sharedHidden }),
              shared_gate: m.gate,
            },
          }
        : {}),
    };
  });

/** The Decoder's attention shape, read back from a resolved config. */
function attention(c: Config): AttentionShape {
  const biases = c["biases"];
  return {
    width: c["width"] as number,
    heads: c["heads"] as number,
    kvHeads: c["kv_heads"] as number,
    headDim: c["head_dim"] as number,
    qkvBias: biases !== "none",
    outBias: biases === "all",
    qkNorm: c["qk_norm"] as AttentionShape["qkNorm"],
    normKind: c["norm"] as AttentionShape["normKind"],
  };
}

/** FLOPs and activations of a resolved Decoder by visiting every layer (the old formulation). */
function decoderByLayer(c: Config, keys: number): { flops: number; activations: number } {
  const a = attention(c);
  const mlp = c["mlp"] as { fn: "gelu" | "swiglu" | "relu"; hidden: number };
  const m = c["moe"] as Config | undefined;
  const moeKind = kind("MoE");
  const at = new Set(m ? moeLayers(c["depth"] as number, m["every"] as number) : []);
  let flops = 0;
  let acts = 0;
  for (let i = 0; i < (c["depth"] as number); i++) {
    const dense = !at.has(i);
    flops += attentionFlops(a, keys) + (dense ? mlpFlops(a.width, mlp) : moeKind.flops(m!));
    acts +=
      attentionActivations(a, keys) +
      a.width +
      (dense ? mlpActivations(a.width, mlp) : a.width + moeKind.activations(m!));
  }
  return {
    flops: flops + linearFlops(a.width, c["vocab"] as number),
    activations: a.width + acts + a.width + (c["vocab"] as number),
  };
}

const imageSide = fc.record({
  patch: fc.integer({ min: 1, max: 5 }),
  grid: fc.integer({ min: 1, max: 6 }),
});

const vitArgs = fc.record({
  side: imageSide,
  channels: fc.integer({ min: 1, max: 4 }),
  heads: fc.constantFrom(1, 2, 3, 4),
  headWidth: fc.integer({ min: 1, max: 5 }),
  depth: fc.integer({ min: 1, max: 5 }),
  mlp: fc.option(fc.tuple(fn, fc.integer({ min: 1, max: 30 })), { nil: undefined }),
  plainMlp: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  classToken: fc.boolean(),
  patchBias: fc.boolean(),
  preNorm: fc.boolean(),
  finalNorm: fc.boolean(),
  classes: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  norm: fc.constantFrom("layer", "rms"),
  qkvBias: fc.boolean(),
  bias: fc.boolean(),
});

/** A square patch grid of `side` x `side` tokens of width `width`, as a ViT hands it on. */
function gridInput(side: number, width: number): ResolveContext {
  return { input: { tokens: side * side, width, grid: [side, side] } };
}

const square = (max: number) =>
  fc
    .integer({ min: 1, max })
    .chain((side) =>
      fc.record({ side: fc.constant(side), pooled: fc.integer({ min: 1, max: side }) }),
    );

describe("closed-form parameter counts equal the manifest, for every kind and option", () => {
  test("Decoder: GQA, head_dim, qk_norm, biases, tied, learned positions, MoE with shared experts and gates", () => {
    fc.assert(
      fc.property(decoderConfig, (c) => {
        const r = agrees("Decoder", c);
        for (const keys of [1, r["context"] as number, 7]) {
          const byLayer = decoderByLayer(r, keys);
          expect(kind("Decoder").flops(r, { sequence: keys })).toBe(byLayer.flops);
          expect(kind("Decoder").activations(r, { sequence: keys })).toBe(byLayer.activations);
        }
      }),
      { numRuns: 250 },
    );
  });

  test("MoE alone and inside a Decoder's context", () => {
    fc.assert(
      fc.property(
        moeArgs,
        fc.option(
          fc.record({
            width: fc.integer({ min: 1, max: 20 }),
            depth: fc.integer({ min: 7, max: 12 }),
            fn,
            hidden: fc.integer({ min: 1, max: 20 }),
            mlpBias: fc.boolean(),
          }),
          { nil: undefined },
        ),
        (m, d) => {
          const config: Config = {
            experts: m.experts,
            top_k: Math.min(m.topK, m.experts),
            every: m.every,
            ...(m.hidden === undefined ? {} : { hidden: m.hidden }),
            shared: m.shared,
            ...(m.sharedHidden === undefined ? {} : { shared_hidden: m.sharedHidden }),
            shared_gate: m.gate,
          };
          const context: ResolveContext = d
            ? {
                decoder: {
                  width: d.width,
                  depth: d.depth,
                  mlp: { fn: d.fn, hidden: d.hidden },
                  mlpBias: d.mlpBias,
                },
              }
            : {};
          agrees("MoE", config, context);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("ViT: class token, patch bias, pre and final norms, a head, norms, biases, MLP forms", () => {
    fc.assert(
      fc.property(vitArgs, (a) => {
        const side = a.side.patch * a.side.grid;
        const config: Config = {
          patch: a.side.patch,
          width: a.heads * a.headWidth,
          depth: a.depth,
          heads: a.heads,
          ...(a.mlp
            ? { mlp: { fn: a.mlp[0], hidden: a.mlp[1] } }
            : a.plainMlp
              ? { mlp: a.plainMlp }
              : {}),
          class_token: a.classToken,
          patch_bias: a.patchBias,
          pre_norm: a.preNorm,
          final_norm: a.finalNorm,
          ...(a.classes === undefined ? {} : { classes: a.classes }),
          norm: a.norm,
          qkv_bias: a.qkvBias,
          bias: a.bias,
        };
        agrees("ViT", config, { image: [a.channels, side, side] });
      }),
      { numRuns: 150 },
    );
  });

  test("AvgPool, AttnPool and MLPProjector", () => {
    fc.assert(
      fc.property(
        square(6),
        fc.constantFrom(1, 2, 4),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        (g, heads, perHead, out, hidden) => {
          const width = heads * perHead;
          const ctx = gridInput(g.side, width);
          agrees("AvgPool", { tokens: g.pooled * g.pooled, out }, ctx);
          agrees("AttnPool", { tokens: g.pooled, heads, out }, ctx);
          agrees("MLPProjector", { out, ...(hidden === undefined ? {} : { hidden }) }, ctx);
        },
      ),
      { numRuns: 150 },
    );
  });

  test("CAbstractor: depth 0 to 4, hidden, MLP depth, positional embedding; FLOPs and activations per stage", () => {
    fc.assert(
      fc.property(
        square(7),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 24 }), { nil: undefined }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 24 }),
        (g, inW, depth, hidden, mlpDepth, posEmbed, out) => {
          const r = agrees(
            "CAbstractor",
            {
              tokens: g.pooled * g.pooled,
              depth,
              ...(hidden === undefined ? {} : { hidden }),
              mlp_depth: mlpDepth,
              pos_embed: posEmbed,
              out,
            },
            gridInput(g.side, inW),
          );
          // The stages visited block by block, as the manifest lays them out.
          const h = r["hidden"] as number;
          let flopsBlocks = 0;
          let actsBlocks = 0;
          for (const [positions, first] of [
            [g.side * g.side, inW],
            [g.pooled * g.pooled, h],
          ] as const) {
            for (let i = 0; i < depth; i++) {
              const cin = i === 0 ? first : h;
              const seW = kindSe(cin);
              flopsBlocks +=
                positions *
                  (linearFlops(cin, h) +
                    18 * h +
                    linearFlops(h, h) +
                    (cin !== h ? linearFlops(cin, h) : 0)) +
                linearFlops(h, seW) +
                linearFlops(seW, h);
              actsBlocks += positions * (cin + 6 * h);
            }
          }
          const readIn = depth > 0 ? h : inW;
          const tokens = g.pooled * g.pooled;
          expect(kind("CAbstractor").flops(r)).toBe(
            flopsBlocks +
              tokens * (linearFlops(readIn, out) + (mlpDepth - 1) * linearFlops(out, out)),
          );
          expect(kind("CAbstractor").activations(r)).toBe(
            g.side * g.side * inW + actsBlocks + tokens * (readIn + 2 * (mlpDepth - 1) * out),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test("a whole model: total and active over the composed manifest", () => {
    fc.assert(
      fc.property(decoderConfig, square(4), fc.integer({ min: 1, max: 3 }), (llm, g, channels) => {
        const r = composeModel({
          image: [channels, g.side * 2, g.side * 2],
          vision: { kind: "ViT", config: { patch: 2, width: 4, heads: 2, depth: 2 } },
          connector: { kind: "CAbstractor", config: { tokens: g.pooled * g.pooled, depth: 1 } },
          llm: { kind: "Decoder", config: llm },
          imagesPerSequence: 0,
        });
        if (!r.ok) throw new Error(JSON.stringify(r.problems));
        expect(r.params).toBe(countParams(r.manifest));
        expect(r.activeParams).toBe(activeParams(r.manifest, moeRouting(r.parts.llm.config)));
      }),
      { numRuns: 60 },
    );
  });
});

/** The squeeze-excite width of a block reading `cin` channels: timm's round(cin / 4), half to even. */
function kindSe(cin: number): number {
  const x = cin / 4;
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

describe("huge sizes are counted without visiting layers", () => {
  test("a 4096-layer, 65,536-wide MoE Decoder is counted at once, without building a tensor", () => {
    const s = componentSummary("Decoder", {
      width: 65536,
      depth: 4096,
      heads: 64,
      vocab: 1000,
      moe: { experts: 2, every: 2 },
    });
    expect(s.ok).toBe(true);
    if (!s.ok) return;
    // 4096 layers of attention (4 w^2) plus 2048 dense MLPs (8 w^2) and 2048 MoE layers
    // (2 experts of 8 w^2 and a router): exact, below 2^53.
    const w = 65536;
    const expected =
      1000 * w * 2 +
      4096 * (4 * w * w + 2 * w) +
      2048 * 8 * w * w +
      2048 * (2 * 8 * w * w + 2 * w) +
      w;
    expect(s.params).toBe(expected);
    expect(Number.isSafeInteger(s.params)).toBe(true);
  });

  test("a count past 2^53 - 1 is refused (MM2018), never printed wrong or as Infinity", () => {
    const s = componentSummary("Decoder", {
      width: 65536,
      depth: 4096,
      heads: 64,
      moe: { experts: 1024 },
    });
    expect(s.ok).toBe(false);
    if (s.ok) return;
    expect(s.problems.map((p) => p.code)).toEqual(["MM2018"]);
  });
});
