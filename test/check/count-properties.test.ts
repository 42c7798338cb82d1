// Property tests over generated specs, through the whole checker: fields that hold no weights
// leave parameter counts alone, and counts add up over parts and over layers.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkText, errorsOf } from "./spec-files.js";

interface Dec {
  vocab: number;
  width: number;
  depth: number;
  heads: number;
  kvHeads: number;
  mlp: number;
  norm: "rms" | "layer";
  biases: "none" | "all" | "qkv";
  qkNorm: "none" | "full" | "head";
  position: "rope" | "learned" | "none";
  context: number;
  tied: boolean;
  moe?: { experts: number; topK: number; every: number; capacity: number; balance: number };
}

const decoder: fc.Arbitrary<Dec> = fc
  .record({
    vocab: fc.integer({ min: 16, max: 600 }),
    heads: fc.constantFrom(1, 2, 4, 8),
    headDim: fc.constantFrom(8, 16, 32),
    kvDiv: fc.constantFrom(1, 2, 4, 8),
    depth: fc.integer({ min: 1, max: 6 }),
    mlp: fc.integer({ min: 8, max: 300 }),
    norm: fc.constantFrom("rms" as const, "layer" as const),
    biases: fc.constantFrom("none" as const, "all" as const, "qkv" as const),
    qkNorm: fc.constantFrom("none" as const, "full" as const, "head" as const),
    position: fc.constantFrom("rope" as const, "learned" as const, "none" as const),
    context: fc.integer({ min: 64, max: 1024 }),
    tied: fc.boolean(),
    moe: fc.option(
      fc.record({
        experts: fc.integer({ min: 2, max: 8 }),
        topK: fc.integer({ min: 1, max: 2 }),
        every: fc.integer({ min: 1, max: 2 }),
        capacity: fc.integer({ min: 50, max: 400 }).map((x) => x / 100),
        balance: fc.integer({ min: 0, max: 100 }).map((x) => x / 100),
      }),
      { nil: undefined },
    ),
  })
  .map((r) => ({
    vocab: r.vocab,
    width: r.heads * r.headDim,
    depth: r.depth,
    heads: r.heads,
    kvHeads: r.heads % r.kvDiv === 0 ? r.heads / r.kvDiv : r.heads,
    mlp: r.mlp,
    norm: r.norm,
    biases: r.biases,
    qkNorm: r.qkNorm,
    position: r.position,
    context: r.context,
    tied: r.tied,
    ...(r.moe ? { moe: { ...r.moe, every: Math.min(r.moe.every, r.depth) } } : {}),
  }));

/** A `Decoder { ... }` value; `extra` is appended verbatim (e.g. `rope_base: 500000`). */
function decoderText(d: Dec, extra = ""): string {
  const moe = d.moe
    ? `, moe: MoE { experts: ${d.moe.experts}, top_k: ${d.moe.topK}, every: ${d.moe.every}, capacity: ${d.moe.capacity}, balance_loss: ${d.moe.balance} }`
    : "";
  return (
    `Decoder { vocab: ${d.vocab}, width: ${d.width}, depth: ${d.depth}, heads: ${d.heads}, ` +
    `kv_heads: ${d.kvHeads}, mlp: swiglu(${d.mlp}), norm: ${d.norm}, biases: ${d.biases}, ` +
    `qk_norm: ${d.qkNorm}, position: ${d.position}, context: ${d.context}, tied: ${d.tied}${moe}` +
    `${extra ? `, ${extra}` : ""} }`
  );
}

const HEADER = [
  'import { ViT } from "std/encoders"',
  'import { AvgPool, AttnPool, CAbstractor, MLPProjector } from "std/connectors"',
  'import { Decoder, MoE } from "std/llm"',
  "",
].join("\n");

interface Counts {
  total: number;
  active: number;
  vision: number;
  connector: number;
  llm: number;
}

/** Parameter counts of `model M` in `text` (which must check without errors). */
function countsOf(text: string): Counts {
  const r = checkText(text);
  expect(errorsOf(r)).toEqual([]);
  const m = r.checked!.models.find((x) => x.name === "M")!;
  const s = m.summary;
  return {
    total: s.params,
    active: s.activeParams,
    vision: s.parts.vision?.params ?? 0,
    connector: s.parts.connector?.params ?? 0,
    llm: s.parts.llm.params,
  };
}

const textModel = (d: Dec, extra = "") =>
  `${HEADER}\nmodel M {\n  llm: ${decoderText(d, extra)}\n}\n`;

const RUNS = { numRuns: 25 };

describe("fields that hold no weights leave the counts alone", () => {
  test("`rope_base` with rotary positions", () => {
    fc.assert(
      fc.property(decoder, fc.integer({ min: 100, max: 1_000_000 }), (d, base) => {
        const rope = { ...d, position: "rope" as const };
        expect(countsOf(textModel(rope, `rope_base: ${base}`))).toEqual(countsOf(textModel(rope)));
      }),
      RUNS,
    );
  });

  test("`context` unless positions are learned, where it adds `width` per position", () => {
    fc.assert(
      fc.property(decoder, fc.integer({ min: 1, max: 512 }), (d, more) => {
        const a = countsOf(textModel(d));
        const b = countsOf(textModel({ ...d, context: d.context + more }));
        const added = d.position === "learned" ? more * d.width : 0;
        expect(b.total - a.total).toBe(added);
        expect(b.active - a.active).toBe(added);
      }),
      RUNS,
    );
  });

  test("MoE `capacity`, `balance_loss` and `top_k` keep the total; `top_k` alone moves active", () => {
    const withMoe = decoder.filter((d) => d.moe !== undefined && d.moe.experts > 2);
    fc.assert(
      fc.property(withMoe, fc.integer({ min: 10, max: 800 }), (d, cap100) => {
        const cap = cap100 / 100;
        const moe = d.moe!;
        const a = countsOf(textModel(d));
        const b = countsOf(textModel({ ...d, moe: { ...moe, capacity: cap, balance: 0 } }));
        expect(b).toEqual(a);
        const c = countsOf(textModel({ ...d, moe: { ...moe, topK: moe.topK + 1 } }));
        expect(c.total).toBe(a.total);
        expect(c.active).toBeGreaterThan(a.active);
        expect(c.active).toBeLessThanOrEqual(c.total);
      }),
      RUNS,
    );
  });
});

describe("counts add up", () => {
  test("a dense Decoder grows by the same amount per layer", () => {
    fc.assert(
      fc.property(decoder, (d0) => {
        const d = { ...d0, moe: undefined };
        const at = (depth: number) => countsOf(textModel({ ...d, depth })).total;
        const one = at(d.depth + 1) - at(d.depth);
        expect(one).toBeGreaterThan(0);
        expect(at(d.depth + 2) - at(d.depth + 1)).toBe(one);
      }),
      RUNS,
    );
  });

  const vision = fc.record({
    side: fc.constantFrom(32, 64, 96),
    patch: fc.constantFrom(8, 16, 32),
    heads: fc.constantFrom(1, 2, 4),
    headDim: fc.constantFrom(8, 16),
    depth: fc.integer({ min: 1, max: 3 }),
    connector: fc.constantFrom("AvgPool", "AttnPool", "CAbstractor", "MLPProjector"),
  });

  test("model = vision + connector + llm, and each part counts as it does alone", () => {
    fc.assert(
      fc.property(vision, decoder, (v, d) => {
        const grid = v.side / v.patch;
        const tokens = grid >= 2 ? 4 : 1;
        const vit = `ViT { patch: ${v.patch}, width: ${v.heads * v.headDim}, depth: ${v.depth}, heads: ${v.heads} }`;
        const conn =
          v.connector === "MLPProjector"
            ? "MLPProjector {}"
            : `${v.connector} { tokens: ${tokens}${v.connector === "AttnPool" ? ", heads: 1" : ""} }`;
        const text =
          `${HEADER}\nllm L = ${decoderText({ ...d, context: Math.max(d.context, 2 * grid * grid) })}\n` +
          `model M {\n  image: Image[3, ${v.side}, ${v.side}]\n  vision: ${vit}\n  connector: ${conn}\n  llm: L\n}\n`;
        const r = checkText(text);
        expect(errorsOf(r)).toEqual([]);
        const s = r.checked!.models[0]!.summary;
        const parts = [s.parts.vision!, s.parts.connector!, s.parts.llm];
        expect(s.params).toBe(parts.reduce((n, p) => n + p.params, 0));
        expect(s.activeParams).toBe(parts.reduce((n, p) => n + p.activeParams, 0));
        const preset = r.checked!.components.find((c) => c.name === "L")!;
        expect(s.parts.llm.params).toBe(preset.summary.params);
        expect(s.parts.llm.activeParams).toBe(preset.summary.activeParams);
      }),
      RUNS,
    );
  });
});
