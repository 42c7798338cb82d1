// The Hugging Face name table: every weight of every model and preset in the examples and the
// stdlib has exactly one name, no two share one, the inverse gives the mmc name back, and
// well-known checkpoints' names and shapes come out as Hugging Face publishes them.
import { describe, expect, test } from "vitest";
import { fromHfName, hfShape, toHfName } from "../../src/components/hf-names.js";
import { componentKind } from "../../src/components/registry.js";
import type { Config, ResolveContext, WeightTensor } from "../../src/components/types.js";
import { checkSpec } from "../../src/cli/load.js";
import { specFiles } from "../check/spec-files.js";

interface Named {
  kind: string;
  config: Config;
  tensors: readonly WeightTensor[];
}

function hfState(kind: string, config: Config, context: ResolveContext = {}) {
  const k = componentKind(kind)!;
  const r = k.resolve(config, context);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const out = new Map<string, number[]>();
  for (const t of k.manifest(r.config)) {
    if (t.tiedTo !== undefined) continue;
    const hf = toHfName(kind, t.name, r.config)!;
    out.set(hf.name, hfShape(t.shape, hf.layout));
  }
  return out;
}

function partsOf(file: string): Named[] {
  const checked = checkSpec(file).checked!;
  const out: Named[] = [];
  for (const m of checked.models)
    for (const p of [m.summary.parts.vision, m.summary.parts.connector, m.summary.parts.llm])
      if (p) {
        const prefix = `${p.part}.`;
        const tensors = p.manifest.map((t) => ({ ...t, name: t.name.slice(prefix.length) }));
        out.push({ kind: p.kind, config: p.config, tensors });
      }
  for (const c of checked.components)
    out.push({ kind: c.summary.kind, config: c.summary.config, tensors: c.summary.manifest });
  return out;
}

describe("Hugging Face names", () => {
  test.each(specFiles())("%s: one name per tensor, distinct, and the inverse", (file) => {
    for (const { kind, config, tensors } of partsOf(file)) {
      const seen = new Map<string, string>();
      for (const t of tensors) {
        if (t.tiedTo !== undefined) continue;
        const hf = toHfName(kind, t.name, config);
        expect(hf, `${kind} ${t.name}`).toBeDefined();
        expect(seen.get(hf!.name), `${hf!.name} named twice`).toBeUndefined();
        seen.set(hf!.name, t.name);
        expect(fromHfName(kind, hf!.name, config)).toEqual({ name: t.name, layout: hf!.layout });
      }
    }
  });

  test("names the table does not know are not guessed", () => {
    expect(toHfName("Decoder", "layers.0.attn.x.weight")).toBeUndefined();
    expect(toHfName("Decoder", "layers.x.attn.q.weight")).toBeUndefined();
    expect(fromHfName("CAbstractor", "net.0.b0.conv1.conv.weight")).toBeUndefined();
    expect(fromHfName("CAbstractor", "readout.1.weight")).toBeUndefined();
    expect(() => toHfName("Nope", "x")).toThrow(/no Hugging Face names/);
  });

  test("Llama-2-7B: LlamaForCausalLM's names and shapes", () => {
    const s = hfState("Decoder", {
      vocab: 32000,
      context: 4096,
      width: 4096,
      depth: 32,
      heads: 32,
      mlp: { fn: "swiglu", hidden: 11008 },
      norm: "rms",
      position: "rope",
    });
    expect(s.size).toBe(2 + 32 * 9 + 1);
    expect(s.get("model.embed_tokens.weight")).toEqual([32000, 4096]);
    expect(s.get("model.layers.31.self_attn.q_proj.weight")).toEqual([4096, 4096]);
    expect(s.get("model.layers.0.mlp.gate_proj.weight")).toEqual([11008, 4096]);
    expect(s.get("model.layers.0.mlp.down_proj.weight")).toEqual([4096, 11008]);
    expect(s.get("model.layers.7.input_layernorm.weight")).toEqual([4096]);
    expect(s.get("model.layers.7.post_attention_layernorm.weight")).toEqual([4096]);
    expect(s.get("model.norm.weight")).toEqual([4096]);
    expect(s.get("lm_head.weight")).toEqual([32000, 4096]);
  });

  test("a tied head has no tensor of its own (tied checkpoints store no lm_head)", () => {
    const s = hfState("Decoder", { vocab: 64, width: 32, depth: 1, heads: 2, tied: true });
    expect(s.has("lm_head.weight")).toBe(false);
  });

  test("CLIP ViT-L/14 at 336 px: CLIPVisionModel's names and shapes", () => {
    const s = hfState(
      "ViT",
      {
        patch: 14,
        width: 1024,
        depth: 24,
        heads: 16,
        mlp: 4096,
        patch_bias: false,
        pre_norm: true,
      },
      { image: [3, 336, 336] },
    );
    expect(s.get("vision_model.embeddings.class_embedding")).toEqual([1024]);
    expect(s.get("vision_model.embeddings.patch_embedding.weight")).toEqual([1024, 3, 14, 14]);
    expect(s.has("vision_model.embeddings.patch_embedding.bias")).toBe(false);
    expect(s.get("vision_model.embeddings.position_embedding.weight")).toEqual([577, 1024]);
    expect(s.get("vision_model.pre_layrnorm.bias")).toEqual([1024]);
    expect(s.get("vision_model.encoder.layers.23.self_attn.out_proj.weight")).toEqual([1024, 1024]);
    expect(s.get("vision_model.encoder.layers.0.mlp.fc1.weight")).toEqual([4096, 1024]);
    expect(s.get("vision_model.encoder.layers.0.mlp.fc2.bias")).toEqual([1024]);
    expect(s.get("vision_model.encoder.layers.0.layer_norm2.weight")).toEqual([1024]);
    expect(s.get("vision_model.post_layernorm.weight")).toEqual([1024]);
    // CLIPVisionModel: 2 embeddings + patch filter, 2 pre-norm, 16 per layer, 2 post-norm.
    expect(s.size).toBe(3 + 2 + 24 * 16 + 2);
  });

  test("the C-Abstractor: timm RegStage blocks from b1, the readout's linears at 0, 2", () => {
    const s = hfState(
      "CAbstractor",
      { tokens: 144, depth: 3, mlp_depth: 2, hidden: 512 },
      { input: { tokens: 576, width: 1024, grid: [24, 24] }, llmWidth: 2048 },
    );
    expect(s.get("pos_emb")).toEqual([1, 576, 1024]);
    expect(s.get("net.0.b1.conv1.conv.weight")).toEqual([512, 1024, 1, 1]);
    expect(s.get("net.0.b1.downsample.conv.weight")).toEqual([512, 1024, 1, 1]);
    expect(s.has("net.0.b2.downsample.conv.weight")).toBe(false);
    expect(s.get("net.2.b3.conv2.conv.weight")).toEqual([512, 1, 3, 3]);
    expect(s.get("net.0.b1.se.fc1.weight")).toEqual([256, 512, 1, 1]);
    expect(s.get("readout.0.weight")).toEqual([2048, 512]);
    expect(s.get("readout.2.weight")).toEqual([2048, 2048]);
  });

  test("an MoE layer: Qwen2-MoE's router, experts and shared expert gate", () => {
    const s = hfState("MoE", { experts: 8, top_k: 2, shared: 2, shared_gate: true });
    expect(s.get("gate.weight")).toEqual([8, 768]);
    expect(s.get("experts.7.up_proj.weight")).toEqual([3072, 768]);
    expect(s.get("shared_experts.1.down_proj.weight")).toEqual([768, 3072]);
    expect(s.get("shared_expert_gate.weight")).toEqual([1, 768]);
  });
});
