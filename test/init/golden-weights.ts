// The weights the golden cases in test/golden/init/ read, as bytes by path: written by
// test/init/fixtures.test.ts (MMC_UPDATE_GOLDEN=1) and checked there to be exactly these.
import {
  clipVisionTensors,
  llamaTensors,
  safetensorsBytes,
  type LlamaShape,
} from "./hf-fixtures.js";

export const GOLDEN_LLAMA: LlamaShape = {
  vocab: 32,
  width: 16,
  depth: 2,
  heads: 2,
  kvHeads: 1,
  hidden: 24,
};

const text = (s: string) => new TextEncoder().encode(s);

export function goldenWeights(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const llama = llamaTensors(GOLDEN_LLAMA);
  files.set("llama-f32.safetensors", safetensorsBytes(llama, 1));
  files.set("llama-bf16.safetensors", safetensorsBytes(llama, 2, "BF16"));
  files.set(
    "llama-i64.safetensors",
    safetensorsBytes(llama, 3, (n) => (n === "model.norm.weight" ? "I64" : "F32")),
  );
  files.set(
    "clip.safetensors",
    safetensorsBytes(
      clipVisionTensors({ image: 16, patch: 8, width: 16, depth: 1, hidden: 32 }),
      4,
    ),
  );
  // A header length of 2^40: refused before anything is allocated.
  const huge = new Uint8Array(64);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
  files.set("huge-header.safetensors", huge);
  // A folder whose index names a shard outside it.
  files.set(
    "bad-index/model.safetensors.index.json",
    text(JSON.stringify({ weight_map: { "model.norm.weight": "../llama-f32.safetensors" } })),
  );
  files.set("index-no-map/model.safetensors.index.json", text(JSON.stringify({ weight_map: 5 })));
  files.set("map-bad.json", text(JSON.stringify({ "embed.weight": 3 })));
  const names: Record<string, string> = {};
  for (const t of llama) {
    const m = /^model\.layers\.(\d+)\.(.*)$/.exec(t.name);
    // "my own" layout: blocks named `blocks.N.`; everything else as in the file
    if (m) names[`layers.${m[1]}.${rename(m[2]!)}`] = t.name;
  }
  names["embed.weight"] = "model.embed_tokens.weight";
  names["final_norm.weight"] = "model.norm.weight";
  names["head.weight"] = "lm_head.weight";
  files.set("names.json", text(JSON.stringify(names, null, 2)));
  return files;
}

function rename(hf: string): string {
  return hf
    .replace("input_layernorm", "attn_norm")
    .replace("post_attention_layernorm", "mlp_norm")
    .replace(/self_attn\.(\w)_proj/, "attn.$1")
    .replace(/mlp\.(\w+)_proj/, "mlp.$1");
}
