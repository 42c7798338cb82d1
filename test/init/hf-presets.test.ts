// mmc's presets of the towers Hugging Face publishes, field by field against the published
// config.json values (written here by hand from OpenAI's `clip-vit-base-patch16`,
// `clip-vit-large-patch14`, `clip-vit-large-patch14-336`, LAION's OpenCLIP
// `CLIP-ViT-H-14-laion2B-s32B-b79K` and Meta's `Llama-2-7b-hf`), including
// what the forward pass depends on: the activation, the norms' eps, rope_theta, heads, tying.
// The presets of models published as code rather than a config.json (timm, apple/ml-aim,
// Honeybee) are checked for their norms' eps against that code.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkSpec } from "../../src/cli/load.js";
import { decoder } from "../../src/components/decoder.js";
import type { Config } from "../../src/components/types.js";
import { vit } from "../../src/components/vit.js";

/** The config.json keys mmc's fields correspond to (vision_config for CLIP). */
const CLIP = {
  CLIP_B16: {
    image_size: 224,
    patch_size: 16,
    hidden_size: 768,
    intermediate_size: 3072,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    hidden_act: "quick_gelu",
  },
  ViT_L14: {
    image_size: 224,
    patch_size: 14,
    hidden_size: 1024,
    intermediate_size: 4096,
    num_hidden_layers: 24,
    num_attention_heads: 16,
    hidden_act: "quick_gelu",
  },
  ViT_L14_336: {
    image_size: 336,
    patch_size: 14,
    hidden_size: 1024,
    intermediate_size: 4096,
    num_hidden_layers: 24,
    num_attention_heads: 16,
    hidden_act: "quick_gelu",
  },
  ViT_H14: {
    image_size: 224,
    patch_size: 14,
    hidden_size: 1280,
    intermediate_size: 5120,
    num_hidden_layers: 32,
    num_attention_heads: 16,
    hidden_act: "gelu",
  },
} as const;
const CLIP_COMMON = { layer_norm_eps: 1e-5 };
/** Hugging Face's `hidden_act` of each mmc mlp function (`gelu` there is the exact, erf form). */
const HF_ACT: Record<string, string> = {
  gelu: "gelu_pytorch_tanh",
  gelu_exact: "gelu",
  quick_gelu: "quick_gelu",
};
const LLAMA2_7B = {
  vocab_size: 32000,
  hidden_size: 4096,
  intermediate_size: 11008,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  max_position_embeddings: 4096,
  hidden_act: "silu",
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
  attention_bias: false,
};

function presets(): Map<string, { kind: string; config: Config }> {
  const dir = mkdtempSync(join(tmpdir(), "mmc-hf-presets-"));
  const models = Object.entries(CLIP).map(
    ([name, c]) => `model M_${name} {
  image: Image[3, ${c.image_size}, ${c.image_size}]
  vision: ${name}
  connector: MLPProjector {}
  llm: Llama2_7B
}`,
  );
  writeFileSync(
    join(dir, "s.mm"),
    `import { ${Object.keys(CLIP).join(", ")} } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Llama2_7B } from "std/llm"
${models.join("\n")}
`,
  );
  const checked = checkSpec(join(dir, "s.mm"));
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const out = new Map<string, { kind: string; config: Config }>();
  for (const m of checked.checked!.models) {
    out.set(m.name.slice(2), m.parts.vision!);
    out.set("Llama2_7B", m.parts.llm);
  }
  return out;
}

describe("presets against the published Hugging Face configs", () => {
  const parts = presets();

  for (const [name, hf] of Object.entries(CLIP)) {
    test(`${name} is the CLIP vision tower's config`, () => {
      const part = parts.get(name)!;
      const r = vit.resolve(part.config, { image: [3, hf.image_size, hf.image_size] });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const c = r.config;
      expect({
        image_size: hf.image_size,
        patch_size: c["patch"],
        hidden_size: c["width"],
        intermediate_size: (c["mlp"] as { hidden: number }).hidden,
        num_hidden_layers: c["depth"],
        num_attention_heads: c["heads"],
        hidden_act: HF_ACT[(c["mlp"] as { fn: string }).fn],
        layer_norm_eps: c["norm_eps"],
      }).toEqual({ ...hf, ...CLIP_COMMON });
      // CLIP's embeddings: a class token, no patch bias, `pre_layrnorm`; biases everywhere else
      expect([c["class_token"], c["patch_bias"], c["pre_norm"], c["norm"]]).toEqual([
        true,
        false,
        true,
        "layer",
      ]);
      expect([c["qkv_bias"], c["bias"], c["final_norm"]]).toEqual([true, true, true]);
    });
  }

  test("Llama2_7B is Llama-2-7b-hf's config", () => {
    const r = decoder.resolve(parts.get("Llama2_7B")!.config, {});
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const c = r.config;
    const mlp = c["mlp"] as { fn: string; hidden: number };
    expect({
      vocab_size: c["vocab"],
      hidden_size: c["width"],
      intermediate_size: mlp.hidden,
      num_hidden_layers: c["depth"],
      num_attention_heads: c["heads"],
      num_key_value_heads: c["kv_heads"],
      max_position_embeddings: c["context"],
      hidden_act: mlp.fn === "swiglu" ? "silu" : mlp.fn,
      rms_norm_eps: c["norm"] === "rms" ? c["norm_eps"] : undefined,
      rope_theta: c["position"] === "rope" ? c["rope_base"] : undefined,
      tie_word_embeddings: c["tied"],
      attention_bias: c["biases"] !== "none",
    }).toEqual(LLAMA2_7B);
  });
});

/**
 * The eps of presets whose models are published as code (and GPT-2's config.json), with where
 * the code sets it: each differs from mmc's default or is its default by the published value.
 */
const PUBLISHED_EPS: Record<string, { eps: number; where: string }> = {
  ViT_B16: { eps: 1e-6, where: "timm vision_transformer.py: partial(nn.LayerNorm, eps=1e-6)" },
  AIM_600M: { eps: 1e-6, where: "apple/ml-aim aim/v1/torch/layers.py: LayerNorm eps=1e-6" },
  AIM_1B: { eps: 1e-6, where: "apple/ml-aim aim/v1/torch/layers.py: LayerNorm eps=1e-6" },
  AIM_3B: { eps: 1e-6, where: "apple/ml-aim aim/v1/torch/layers.py: LayerNorm eps=1e-6" },
  CAbstractor144: {
    eps: 1e-6,
    where: "Honeybee: RegStage(norm_layer=LayerNorm2d), timm's LayerNorm2d eps=1e-6",
  },
  GPT2_Small: { eps: 1e-5, where: "Hugging Face gpt2 config.json: layer_norm_epsilon 1e-05" },
};

describe("presets' norm eps against the published code", () => {
  const dir = mkdtempSync(join(tmpdir(), "mmc-eps-presets-"));
  const encoders = ["ViT_B16", "AIM_600M", "AIM_1B", "AIM_3B"];
  writeFileSync(
    join(dir, "s.mm"),
    `import { ${encoders.join(", ")} } from "std/encoders"
import { CAbstractor144 } from "std/connectors"
import { GPT2_Small } from "std/llm"
${encoders
  .map(
    (e) => `model M_${e} {
  image: Image[3, 336, 336]
  vision: ${e}
  connector: CAbstractor144
  llm: GPT2_Small
}`,
  )
  .join("\n")}
`,
  );
  const checked = checkSpec(join(dir, "s.mm"));
  const models = checked.checked?.models ?? [];
  const eps = new Map<string, unknown>();
  for (const m of models) {
    const parts = m.summary.parts;
    eps.set(m.name.slice(2), parts.vision?.config["norm_eps"]);
    eps.set("CAbstractor144", parts.connector?.config["norm_eps"]);
    eps.set("GPT2_Small", parts.llm.config["norm_eps"]);
  }

  test.each(Object.entries(PUBLISHED_EPS))("%s has the published eps", (name, published) => {
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(eps.get(name), published.where).toBe(published.eps);
  });
});
