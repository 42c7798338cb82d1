// Published parameter counts of well-known models, matched exactly by the manifests and by the
// closed-form counts the checker uses.
import { describe, expect, it } from "vitest";
import { countParams } from "../../src/components/blocks.js";
import { decoder } from "../../src/components/decoder.js";
import type { Config, ResolveContext } from "../../src/components/types.js";
import type { ComponentKind } from "../../src/components/types.js";
import { vit } from "../../src/components/vit.js";
import { mlpProjector } from "../../src/components/mlp-projector.js";

function params(kind: ComponentKind, config: Config, context: ResolveContext = {}): number {
  const r = kind.resolve(config, context);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  // The checker's closed form and the runtime's manifest must both give the published count.
  const fromManifest = countParams(kind.manifest(r.config));
  expect(kind.params(r.config).total).toBe(fromManifest);
  return fromManifest;
}

const GPT2 = {
  vocab: 50257,
  context: 1024,
  width: 768,
  depth: 12,
  heads: 12,
  mlp: { fn: "gelu", hidden: 3072 },
  norm: "layer",
  biases: "all",
  position: "learned",
  tied: true,
} as const;

describe("published parameter counts", () => {
  it("GPT-2 small is 124,439,808", () => {
    expect(params(decoder, GPT2)).toBe(124_439_808);
  });

  it("GPT-2 medium is 354,823,168", () => {
    expect(
      params(decoder, {
        ...GPT2,
        width: 1024,
        depth: 24,
        heads: 16,
        mlp: { fn: "gelu", hidden: 4096 },
      }),
    ).toBe(354_823_168);
  });

  it("Llama-2-7B is 6,738,415,616", () => {
    const llama = {
      vocab: 32000,
      width: 4096,
      depth: 32,
      heads: 32,
      mlp: { fn: "swiglu", hidden: 11008 },
      norm: "rms",
      biases: "none",
      position: "rope",
      context: 4096,
      tied: false,
    } as const;
    expect(params(decoder, llama)).toBe(6_738_415_616);
  });

  it("ViT-B/16 at 224 px with a 1000-class head is 86,567,656", () => {
    const vitB16 = { patch: 16, width: 768, depth: 12, heads: 12, mlp: 3072, classes: 1000 };
    expect(params(vit, vitB16, { image: [3, 224, 224] })).toBe(86_567_656);
  });

  // openai/clip-vit-large-patch14 as `CLIPVisionModel`: no patch bias, `pre_layrnorm`, and
  // `post_layernorm` as the final norm; no projection, no head.
  const CLIP_L14 = {
    patch: 14,
    width: 1024,
    depth: 24,
    heads: 16,
    mlp: 4096,
    patch_bias: false,
    pre_norm: true,
  };

  it("CLIP ViT-L/14 vision tower at 224 px is 303,179,776", () => {
    expect(params(vit, CLIP_L14, { image: [3, 224, 224] })).toBe(303_179_776);
  });

  it("CLIP ViT-L/14 vision tower at 336 px is 303,507,456", () => {
    expect(params(vit, CLIP_L14, { image: [3, 336, 336] })).toBe(303_507_456);
  });

  it("CLIP ViT-L/14 carrying its own `image: Image[3, 336, 336]` is 303,507,456 alone", () => {
    // No model gives an image: the encoder's own size sets the 24x24 + 1 position table.
    expect(params(vit, { ...CLIP_L14, image: [3, 336, 336] })).toBe(303_507_456);
    const r = vit.resolve({ ...CLIP_L14, image: [3, 336, 336] }, {});
    expect(r.ok && r.assumed).toEqual([]);
    expect(r.ok && r.output.grid).toEqual([24, 24]);
  });

  it("the LLaVA-1.5-7B MLP projector is 20,979,712", () => {
    const input = { tokens: 576, width: 1024, grid: [24, 24] as const };
    expect(params(mlpProjector, {}, { input, llmWidth: 4096 })).toBe(20_979_712);
  });
});
