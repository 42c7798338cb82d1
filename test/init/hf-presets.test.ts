// mmc's presets of the towers Hugging Face publishes, field by field against the published
// config.json values (written here by hand from OpenAI's `clip-vit-base-patch16`,
// `clip-vit-large-patch14`, `clip-vit-large-patch14-336`, LAION's OpenCLIP
// `CLIP-ViT-H-14-laion2B-s32B-b79K` and Meta's `Llama-2-7b-hf`), including
// what the forward pass depends on: the activation, the norms' eps, rope_theta, heads, tying.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { checkSpec } from "../../src/cli/load.js";
import { decoder } from "../../src/components/decoder.js";
import type { Config } from "../../src/components/types.js";
import { vit } from "../../src/components/vit.js";
import { NORM_EPS } from "../../src/runtime/layers/norm.js";

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
        layer_norm_eps: NORM_EPS,
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
      rms_norm_eps: c["norm"] === "rms" ? NORM_EPS : undefined,
      rope_theta: c["position"] === "rope" ? c["rope_base"] : undefined,
      tie_word_embeddings: c["tied"],
      attention_bias: c["biases"] !== "none",
    }).toEqual(LLAMA2_7B);
  });
});
