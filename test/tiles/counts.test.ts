// What the checker counts for a tiled model, worked by hand: image tokens, FLOPs per image,
// training-memory activations, and the token numbers `mmc info` and the generated code carry.
import { describe, expect, it } from "vitest";
import { composeModel, type ModelInput, type ModelSummary } from "../../src/components/model.js";
import { parseGrid, type TileGrid } from "../../src/components/tiles.js";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";

const grids = (...t: string[]) => t.map((x) => parseGrid(x) as TileGrid);

// examples/tiled.mm's model: 32 px crops, ViT patch 8 (16 patches + a class token), AvgPool to 4.
const base: ModelInput = {
  image: [3, 32, 32],
  vision: { kind: "ViT", config: { patch: 8, width: 64, depth: 2, heads: 2 } },
  connector: { kind: "AvgPool", config: { tokens: 4 } },
  llm: {
    kind: "Decoder",
    config: { vocab: 260, width: 128, depth: 2, heads: 2, mlp: { fn: "swiglu", hidden: 344 } },
  },
};

function summary(input: ModelInput): ModelSummary {
  const r = composeModel(input);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  return r;
}

describe("tiled counts", () => {
  const tiled = summary({
    ...base,
    tiles: { grids: grids("1x1", "2x2", "1x2", "2x1"), overview: true },
  });
  const plain = summary(base);

  it("image tokens = (largest grid's crops + overview) x tokens per crop", () => {
    expect(plain.imageTokens).toBe(4);
    expect(tiled.tokensPerCrop).toBe(4);
    expect(tiled.encoderPasses).toBe(5);
    expect(tiled.imageTokens).toBe(20); // (4 + 1) x 4
    const noOverview = summary({
      ...base,
      tiles: { grids: grids("1x3", "3x1", "2x2"), overview: false },
    });
    expect(noOverview.imageTokens).toBe(16); // max(3, 3, 4) x 4
    const mm15 = summary({ ...base, tiles: { grids: grids("1x1", "1x3", "3x1"), overview: true } });
    expect(mm15.imageTokens).toBe(16); // (3 + 1) x 4
  });

  it("FLOPs per image are 5 encoder and connector passes, by hand", () => {
    // ViT at 32 px, 17 tokens of width 64: patch embedding 16 x 2 x 192 x 64 = 393,216; per block
    // qkv 17 x 2 x 64 x 192 = 417,792, scores and values 2 x (2 x 17 x 17 x 64) = 73,984, output
    // 17 x 2 x 64 x 64 = 139,264, MLP 17 x 2 x 2 x 64 x 256 = 1,114,112: 1,745,152 a block, two
    // blocks 3,490,304; total 3,883,520. AvgPool: 4 tokens x 2 x 64 x 128 = 65,536.
    expect(plain.flopsPerImage).toBe(3_883_520 + 65_536);
    expect(tiled.flopsPerImage).toBe(5 * (3_883_520 + 65_536)); // 19,745,280
    // text FLOPs and parameters do not change
    expect(tiled.flopsPerToken).toBe(plain.flopsPerToken);
    expect(tiled.params).toBe(plain.params);
  });

  it("training memory keeps activations for every pass of every image", () => {
    // activations = batch x (sequence x llm per token + images x passes x per pass) x 4 bytes, so
    // against the untiled model (1 pass) 5 passes add 4 x 4 x 4 x per pass bytes and 4 passes
    // (2x2, no overview) add 4 x 3 x 4 x per pass: the two differences are in ratio 4 : 3.
    const opts = { batch: 4, sequence: 128 };
    const four = summary({ ...base, tiles: { grids: grids("2x2"), overview: false } });
    const plainActs = plain.trainMemory(opts).activations;
    const d5 = tiled.trainMemory(opts).activations - plainActs;
    const d4 = four.trainMemory(opts).activations - plainActs;
    expect(d5).toBeGreaterThan(0);
    expect(d5 % 64).toBe(0);
    expect(d5 * 3).toBe(d4 * 4);
  });

  it("checks the context against the tiled count (MM2212) and a text-only tiles (MM4022)", () => {
    const short = composeModel({
      ...base,
      llm: { ...base.llm, config: { ...base.llm.config, context: 20 } },
      tiles: { grids: grids("2x2"), overview: true },
    });
    expect(short.ok).toBe(false);
    if (!short.ok) expect(short.problems.map((p) => p.code)).toEqual(["MM2212"]);
    const fits = composeModel({
      ...base,
      llm: { ...base.llm, config: { ...base.llm.config, context: 21 } },
      tiles: { grids: grids("2x2"), overview: true },
    });
    expect(fits.ok).toBe(true);
    const text = composeModel({ llm: base.llm, tiles: { grids: grids("2x2"), overview: true } });
    expect(text.ok || text.problems.map((p) => p.code)).toEqual(["MM4022"]);
  });
});

describe("examples/tiled.mm", () => {
  it("checks, and its train carries 20 image tokens per image", () => {
    const r = checkFile("examples/tiled.mm", fileHost);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const m = r.checked?.models.find((x) => x.name === "TinyTiled");
    expect(m?.tiles?.grids.map((g) => `${g.cols}x${g.rows}`)).toEqual(["1x1", "2x2", "1x2", "2x1"]);
    expect(m?.summary.imageTokens).toBe(20);
    const t = r.checked?.trains.find((x) => x.name === "tiled");
    expect(t?.model.summary.imageTokens).toBe(20);
  });
});
