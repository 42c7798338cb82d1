// Small configs counted by hand (the arithmetic is written out), for the kinds that have no
// published anchor: MoE (total and active), C-Abstractor, attention pooling, average pooling.
import { describe, expect, it } from "vitest";
import { countParams } from "../../src/components/blocks.js";
import { roundHalfEven } from "../../src/components/c-abstractor.js";
import { componentSummary } from "../../src/components/counting.js";
import { moeLayers } from "../../src/components/moe.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import type { ComponentKind, Config, ResolveContext } from "../../src/components/types.js";

function kind(name: string): ComponentKind {
  const k = COMPONENT_KINDS[name];
  if (!k) throw new Error(name);
  return k;
}

function summary(name: string, config: Config, context: ResolveContext = {}) {
  const s = componentSummary(kind(name), config, context);
  if (!s.ok) throw new Error(JSON.stringify(s.problems));
  return s;
}

describe("MoE decoder by hand", () => {
  const config = {
    vocab: 100,
    width: 16,
    depth: 4,
    heads: 2,
    mlp: { fn: "swiglu", hidden: 32 },
    norm: "rms",
    position: "rope",
    moe: { experts: 4, top_k: 2, every: 2, shared: 1, shared_gate: true },
  };
  const common = 16 + 4 * 16 * 16 + 16; // attn_norm, q/k/v/o, mlp_norm
  const expert = 3 * 16 * 32; // gate, up, down
  const moeLayer = 16 * 4 + 4 * expert + expert + 16; // router, 4 experts, 1 shared, shared gate
  const total = 100 * 16 + 4 * common + 2 * expert + 2 * moeLayer + 16 + 100 * 16;

  it("puts the MoE in layers 2 and 4 (every: 2)", () => {
    expect(moeLayers(4, 2)).toEqual([1, 3]);
    expect(moeLayers(4, 1)).toEqual([0, 1, 2, 3]);
    expect(moeLayers(12, 4)).toEqual([3, 7, 11]);
  });

  it("counts total parameters", () => {
    expect(summary("Decoder", config).params).toBe(total);
    expect(total).toBe(26_032);
  });

  it("counts active parameters: top_k of the routed experts, shared always", () => {
    // Each MoE layer leaves 4 - 2 routed experts unused.
    expect(summary("Decoder", config).activeParams).toBe(total - 2 * (4 - 2) * expert);
  });

  it("flags every routed-expert tensor with its index, and nothing else", () => {
    const s = summary("Decoder", config);
    const flagged = s.manifest.filter((t) => t.expert !== undefined);
    expect(flagged.length).toBe(2 * 4 * 3);
    expect(new Set(flagged.map((t) => t.expert))).toEqual(new Set([0, 1, 2, 3]));
    expect(flagged.every((t) => t.name.includes(`.experts.${t.expert}.`))).toBe(true);
  });

  it("expert hidden width defaults to the Decoder's mlp and can differ", () => {
    const own = { ...config, moe: { experts: 4, top_k: 1, hidden: 8 } };
    const s = summary("Decoder", own);
    const moeLayerSmall = 16 * 4 + 4 * 3 * 16 * 8;
    expect(s.params).toBe(100 * 16 + 4 * common + 0 * expert + 4 * moeLayerSmall + 16 + 100 * 16);
  });
});

describe("C-Abstractor by hand", () => {
  const input = { tokens: 16, width: 8, grid: [4, 4] as const };
  const context = { input, llmWidth: 32 };

  it("matches timm's RegNet bottleneck arithmetic", () => {
    const pos = 16 * 8;
    // stage1 block 8 -> 16: se = round(8 / 4) = 2, with a 1x1 shortcut.
    const b1 =
      8 * 16 + 32 + 9 * 16 + 32 + (16 * 2 + 2) + (2 * 16 + 16) + 16 * 16 + 32 + (8 * 16 + 32);
    // stage2 block 16 -> 16: se = 4, identity shortcut.
    const b2 = 16 * 16 + 32 + 9 * 16 + 32 + (16 * 4 + 4) + (4 * 16 + 16) + 16 * 16 + 32;
    const readout = 16 * 32 + 32 + (32 * 32 + 32);
    const s = summary("CAbstractor", { tokens: 4, depth: 1, hidden: 16 }, context);
    expect(s.params).toBe(pos + b1 + b2 + readout);
    expect(s.output).toEqual({ tokens: 4, width: 32, grid: [2, 2] });
  });

  it("with depth 0 reduces to pooling plus the MLP", () => {
    const s = summary("CAbstractor", { tokens: 4, depth: 0, pos_embed: false }, context);
    expect(s.params).toBe(8 * 32 + 32 + 32 * 32 + 32);
  });

  it("rounds the squeeze-excite width like Python (half to even)", () => {
    expect([2.5, 3.5, 2.25, 2.75, 4].map(roundHalfEven)).toEqual([2, 4, 2, 3, 4]);
  });
});

describe("pooling connectors by hand", () => {
  const context = { input: { tokens: 576, width: 1024, grid: [24, 24] as const }, llmWidth: 2048 };

  it("AvgPool is one linear layer", () => {
    expect(summary("AvgPool", { tokens: 144 }, context).params).toBe(1024 * 2048 + 2048);
  });

  it("AttnPool is queries, attention at the input width, and a projection", () => {
    const s = summary("AttnPool", { tokens: 64, heads: 16 }, context);
    expect(s.params).toBe(64 * 1024 + 4 * (1024 * 1024 + 1024) + 1024 * 2048 + 2048);
    expect(s.output).toEqual({ tokens: 64, width: 2048 });
  });

  it("MLPProjector keeps the token count and grid", () => {
    const s = summary("MLPProjector", {}, context);
    expect(s.output).toEqual({ tokens: 576, width: 2048, grid: [24, 24] });
  });

  it("uses stand-ins when inspected alone, and says so", () => {
    const s = summary("AvgPool", { tokens: 144 });
    expect(s.assumed.length).toBe(2);
    expect(countParams(s.manifest)).toBe(s.params);
  });
});

describe("tied head", () => {
  it("is listed with tiedTo and counted once", () => {
    const tied = summary("Decoder", { vocab: 1000, width: 64, depth: 1, heads: 4, tied: true });
    const untied = summary("Decoder", { vocab: 1000, width: 64, depth: 1, heads: 4, tied: false });
    const head = tied.manifest.find((t) => t.name === "head.weight");
    expect(head?.tiedTo).toBe("embed.weight");
    expect(untied.params - tied.params).toBe(1000 * 64);
  });
});
