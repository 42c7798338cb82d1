// Every shape and value rule of the component kinds reports its code, on the right field, with help.
import { describe, expect, it } from "vitest";
import { PROBLEM_CODES } from "../../src/components/problem-codes.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import type { Config, Problem, ResolveContext } from "../../src/components/types.js";

function problemsOf(
  kind: string,
  config: Config,
  context: ResolveContext = {},
): readonly Problem[] {
  const k = COMPONENT_KINDS[kind];
  if (!k) throw new Error(`no kind ${kind}`);
  const r = k.resolve(config, context);
  return r.ok ? [] : r.problems;
}

function only(kind: string, config: Config, context: ResolveContext = {}): Problem {
  const ps = problemsOf(kind, config, context);
  expect(ps).toHaveLength(1);
  return ps[0] as Problem;
}

const GRID_24 = { tokens: 576, width: 1024, grid: [24, 24] as const };
const GRID_27 = { tokens: 729, width: 1280, grid: [27, 27] as const };

describe("ViT", () => {
  it("MM2201: image side not divisible by the patch", () => {
    const p = only("ViT", { patch: 16 }, { image: [3, 350, 350] });
    expect(p.code).toBe("MM2201");
    expect(p.fields).toEqual(["patch"]);
    expect(p.related).toEqual(["image"]);
    expect(p.message).toContain("350");
    expect(p.help).toContain("336 or 352");
  });

  it("accepts 378 px with patch 14 (27x27 patch tokens)", () => {
    const r = COMPONENT_KINDS["ViT"]?.resolve(
      { patch: 14, width: 1280, heads: 16 },
      { image: [3, 378, 378] },
    );
    expect(r?.ok && r.output).toEqual({ tokens: 729, width: 1280, grid: [27, 27] });
  });

  it("MM2213: patch larger than the image", () => {
    expect(only("ViT", { patch: 32 }, { image: [3, 16, 16] }).code).toBe("MM2213");
  });

  it("MM2207: width not divisible by heads", () => {
    const p = only("ViT", { width: 100, heads: 12 }, { image: [3, 224, 224] });
    expect(p.code).toBe("MM2207");
    expect(p.fields).toContain("heads");
    expect(p.help).toMatch(/10/);
  });

  it("MM2010 / MM2009: values out of range and of the wrong kind", () => {
    expect(only("ViT", { depth: 0 }).code).toBe("MM2010");
    expect(only("ViT", { class_token: 3 }).code).toBe("MM2009");
    expect(only("ViT", { norm: "batch" }).code).toBe("MM2009");
  });
});

describe("Decoder", () => {
  it("MM2207: width not divisible by heads, unless head_dim is given", () => {
    const p = only("Decoder", { width: 1000, heads: 12 });
    expect(p.code).toBe("MM2207");
    expect(p.help).toContain("head_dim");
    expect(problemsOf("Decoder", { width: 1000, heads: 12, head_dim: 64 })).toEqual([]);
  });

  it("MM2208: heads not divisible by kv_heads", () => {
    const p = only("Decoder", { width: 768, heads: 12, kv_heads: 5 });
    expect(p.code).toBe("MM2208");
    expect(p.fields).toEqual(["kv_heads"]);
    expect(p.help).toMatch(/4|6/);
  });

  it("MM2209: rotary positions need an even head width", () => {
    const inferredOdd = only("Decoder", { width: 24, heads: 8, position: "rope" });
    expect(inferredOdd.code).toBe("MM2209");
    expect(inferredOdd.notes?.[0]).toContain("24 / 8");
    const written = only("Decoder", { width: 64, heads: 8, head_dim: 9, position: "rope" });
    expect(written.fields).toEqual(["head_dim"]);
    expect(problemsOf("Decoder", { width: 24, heads: 8, position: "learned" })).toEqual([]);
  });

  it("reports MoE problems under `moe.`", () => {
    const p = only("Decoder", { depth: 4, moe: { experts: 4, top_k: 5 } });
    expect(p.code).toBe("MM2210");
    expect(p.fields).toEqual(["moe.top_k"]);
  });
});

describe("MoE", () => {
  const decoder = {
    width: 64,
    depth: 4,
    mlp: { fn: "swiglu" as const, hidden: 128 },
    mlpBias: false,
  };

  it("MM2210: top_k larger than experts", () => {
    const p = only("MoE", { experts: 2, top_k: 3 }, { decoder });
    expect(p.code).toBe("MM2210");
    expect(p.help).toContain("top_k: 2");
  });

  it("MM2211: every must fit the depth", () => {
    const p = only("MoE", { every: 5 }, { decoder });
    expect(p.code).toBe("MM2211");
    expect(p.related).toEqual(["depth"]);
    expect(problemsOf("MoE", { every: 4 }, { decoder })).toEqual([]);
    expect(problemsOf("MoE", { every: "all" }, { decoder })).toEqual([]);
  });

  it("MM2010: capacity factor must be greater than 0", () => {
    const p = only("MoE", { capacity: 0 }, { decoder });
    expect(p.code).toBe("MM2010");
    expect(p.message).toContain("greater than 0");
  });

  it("MM2215: a shared gate without shared experts is a warning", () => {
    const r = COMPONENT_KINDS["MoE"]?.resolve({ shared_gate: true }, { decoder });
    expect(r?.ok).toBe(true);
    expect(r?.ok && r.warnings.map((w) => [w.code, w.severity])).toEqual([["MM2215", "warning"]]);
  });
});

describe("connectors", () => {
  it("MM2202: written input width must match the encoder", () => {
    const p = only("AvgPool", { in: 768 }, { input: GRID_24, llmWidth: 4096 });
    expect(p.code).toBe("MM2202");
    expect(p.related).toEqual(["vision.width"]);
    expect(p.help).toContain("in: 1024");
  });

  it("MM2203: written output width must match the language model", () => {
    const p = only("CAbstractor", { out: 2048 }, { input: GRID_24, llmWidth: 4096 });
    expect(p.code).toBe("MM2203");
    expect(p.message).toBe("connector output width does not match the language model width");
    expect(p.help).toBe("write `out: 4096`, or leave `out` out and it is taken from `llm.width`");
  });

  it("infers in and out from the neighbours", () => {
    const r = COMPONENT_KINDS["CAbstractor"]?.resolve({}, { input: GRID_24, llmWidth: 4096 });
    expect(r?.ok && [r.config["in"], r.config["out"], r.inferred["out"]]).toEqual([
      1024,
      4096,
      "`llm.width`",
    ]);
  });

  it("MM2204: pooling needs a square patch grid", () => {
    const wide = { tokens: 24 * 32, width: 1024, grid: [24, 32] as const };
    expect(only("CAbstractor", {}, { input: wide, llmWidth: 512 }).code).toBe("MM2204");
    expect(only("AvgPool", {}, { input: wide, llmWidth: 512 }).code).toBe("MM2204");
    expect(problemsOf("AttnPool", {}, { input: wide, llmWidth: 512 })).toEqual([]);
  });

  it("MM2205: pooling needs a square token count", () => {
    const p = only("CAbstractor", { tokens: 100 + 44 + 1 }, { input: GRID_24, llmWidth: 512 });
    expect(p.code).toBe("MM2205");
    expect(p.help).toContain("144");
  });

  it("adaptive pooling allows 27 -> 12", () => {
    const r = COMPONENT_KINDS["CAbstractor"]?.resolve(
      { tokens: 144 },
      { input: GRID_27, llmWidth: 2048 },
    );
    expect(r?.ok && r.output).toEqual({ tokens: 144, width: 2048, grid: [12, 12] });
  });

  it("MM2206: pooling cannot grow the grid", () => {
    const small = { tokens: 64, width: 128, grid: [8, 8] as const };
    const p = only("AvgPool", { tokens: 144 }, { input: small, llmWidth: 256 });
    expect(p.code).toBe("MM2206");
    expect(p.help).toContain("tokens: 64");
  });

  it("MM2207: attention pooling heads must divide the input width", () => {
    const p = only("AttnPool", { heads: 7 }, { input: GRID_24, llmWidth: 512 });
    expect(p.code).toBe("MM2207");
    expect(p.related).toEqual(["vision.width"]);
  });
});

describe("problem codes", () => {
  it("every code is documented once, with a title and an explanation", () => {
    const codes = PROBLEM_CODES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of PROBLEM_CODES) {
      // MM2xxx, and the composition's checks of `tiles` (issue 15 was given MM4020-MM4029)
      expect(c.code).toMatch(/^MM(2\d{3}|402\d)$/);
      expect(c.title.length).toBeGreaterThan(5);
      expect(c.explanation.length).toBeGreaterThan(40);
    }
  });

  it("messages follow the style: lowercase start, no final period", () => {
    const samples = [
      only("ViT", { patch: 16 }, { image: [3, 350, 350] }),
      only("Decoder", { width: 768, heads: 12, kv_heads: 5 }),
      only("CAbstractor", { out: 2048 }, { input: GRID_24, llmWidth: 4096 }),
    ];
    for (const p of samples) {
      expect(p.message).toMatch(/^[a-z`]/);
      expect(p.message).not.toMatch(/\.$/);
      expect(PROBLEM_CODES.some((c) => c.code === p.code)).toBe(true);
    }
  });
});
