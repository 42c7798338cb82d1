// Loading pretrained weights into the runtime's model: the values in the parameters are the
// file's, moved from PyTorch's layout by this test's own index arithmetic (not the loader's),
// for a CLIP vision tower and a Llama decoder in Hugging Face's names, F32 and BF16, one file or
// a sharded folder, and mmc's own checkpoint names; the part without an `init` keeps its seeded
// initial values.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckedModel } from "../../src/check/ir.js";
import { checkSpec } from "../../src/cli/load.js";
import type { ModelInput } from "../../src/components/model.js";
import { loadInitWeights, type InitConfig } from "../../src/runtime/checkpoint/load-init.js";
import { encodeSafetensors, type StTensor } from "../../src/runtime/checkpoint/safetensors.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { useBackend } from "../runtime/helpers.js";
import {
  clipVisionTensors,
  llamaTensors,
  safetensorsBytes,
  writeFixture,
  writeSharded,
  type ClipShape,
  type LlamaShape,
} from "./hf-fixtures.js";

const LLAMA: LlamaShape = { vocab: 40, width: 16, depth: 2, heads: 2, kvHeads: 1, hidden: 24 };
const CLIP: ClipShape = { image: 16, patch: 8, width: 16, depth: 2, hidden: 32 };
const LLM =
  "vocab: 40, width: 16, depth: 2, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64";
const VIT = "patch: 8, width: 16, depth: 2, heads: 2, mlp: 32, patch_bias: false, pre_norm: true";

/** A file's tensors decoded by hand (F32 and BF16), by name: [shape, values]. */
function readBack(path: string): Map<string, { shape: number[]; values: Float32Array }> {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const at = 8 + n + e.data_offsets[0];
    const size = e.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const f = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < size; i++) {
      if (e.dtype === "F32") values[i] = view.getFloat32(at + 4 * i, true);
      else {
        f.setUint32(0, view.getUint16(at + 2 * i, true) * 65536, true);
        values[i] = f.getFloat32(0, true);
      }
    }
    out.set(name, { shape: e.shape, values });
  }
  return out;
}

/** A PyTorch-layout tensor as mmc lays it out, by index: [o, i] -> [i, o]; [o, c, h, w] -> [h, w, c, o]. */
function torchToMmc(shape: number[], v: Float32Array, matrix: boolean): Float32Array {
  if (shape.length === 2 && matrix) {
    const [o, i] = shape as [number, number];
    const out = new Float32Array(v.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = v[a * i + b]!;
    return out;
  }
  if (shape.length === 4) {
    const [o, c, h, w] = shape as [number, number, number, number];
    const out = new Float32Array(v.length);
    for (let a = 0; a < o; a++)
      for (let b = 0; b < c; b++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            out[((y * w + x) * c + b) * o + a] = v[((a * c + b) * h + y) * w + x]!;
    return out;
  }
  return v;
}

/** The mmc name of a Hugging Face name, written out here for the two kinds. */
function mmcName(hf: string): { name: string; matrix: boolean } {
  const rules: [RegExp, string][] = [
    [/^model\.embed_tokens\.weight$/, "llm.embed.weight"],
    [/^model\.norm\.weight$/, "llm.final_norm.weight"],
    [/^lm_head\.weight$/, "llm.head.weight"],
    [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, "llm.layers.$1.attn_norm.weight"],
    [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, "llm.layers.$1.mlp_norm.weight"],
    [/^model\.layers\.(\d+)\.self_attn\.(\w)_proj\.weight$/, "llm.layers.$1.attn.$2.weight"],
    [/^model\.layers\.(\d+)\.mlp\.(\w+)_proj\.weight$/, "llm.layers.$1.mlp.$2.weight"],
    [/^vision_model\.embeddings\.class_embedding$/, "vision.class_token"],
    [/^vision_model\.embeddings\.patch_embedding\.weight$/, "vision.patch_embed.weight"],
    [/^vision_model\.embeddings\.position_embedding\.weight$/, "vision.pos_embed"],
    [/^vision_model\.pre_layrnorm\.(\w+)$/, "vision.pre_norm.$1"],
    [/^vision_model\.post_layernorm\.(\w+)$/, "vision.final_norm.$1"],
    [/^vision_model\.encoder\.layers\.(\d+)\.layer_norm1\.(\w+)$/, "vision.layers.$1.attn_norm.$2"],
    [/^vision_model\.encoder\.layers\.(\d+)\.layer_norm2\.(\w+)$/, "vision.layers.$1.mlp_norm.$2"],
    [
      /^vision_model\.encoder\.layers\.(\d+)\.self_attn\.out_proj\.(\w+)$/,
      "vision.layers.$1.attn.o.$2",
    ],
    [
      /^vision_model\.encoder\.layers\.(\d+)\.self_attn\.(\w)_proj\.(\w+)$/,
      "vision.layers.$1.attn.$2.$3",
    ],
    [/^vision_model\.encoder\.layers\.(\d+)\.mlp\.fc1\.(\w+)$/, "vision.layers.$1.mlp.up.$2"],
    [/^vision_model\.encoder\.layers\.(\d+)\.mlp\.fc2\.(\w+)$/, "vision.layers.$1.mlp.down.$2"],
  ];
  for (const [re, to] of rules)
    if (re.test(hf)) {
      const name = hf.replace(re, to);
      const matrix =
        name.endsWith(".weight") && !/(norm|embed)\.weight$/.test(name) && !/embed_tokens/.test(hf);
      return { name, matrix: matrix && !name.endsWith("patch_embed.weight") };
    }
  throw new Error(`no mmc name for ${hf} in the test's table`);
}

let dir = "";

function checked(spec: string): CheckedModel {
  const path = join(
    dir,
    `${spec.slice(0, 12).replace(/\W/g, "")}-${Math.random().toString(36).slice(2)}.mm`,
  );
  writeFileSync(path, spec);
  const r = checkSpec(path);
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => d.message)).toEqual([]);
  return r.checked!.models[0]!;
}

function inputOf(m: CheckedModel): ModelInput {
  return {
    ...(m.image ? { image: m.image } : {}),
    ...(m.parts.vision ? { vision: m.parts.vision } : {}),
    ...(m.parts.connector ? { connector: m.parts.connector } : {}),
    llm: m.parts.llm,
  };
}

function initsOf(m: CheckedModel): InitConfig[] {
  return (m.init ?? []).map(({ scope, source: s }) => ({
    scope,
    path: s.path,
    root: s.root,
    layout: s.layout,
    ...(s.map !== undefined ? { map: s.map } : {}),
  }));
}

function values(model: MultimodalModel, name: string): Float32Array {
  return model.params.get(name).dataSync() as Float32Array;
}

const IMPORTS = `import { ViT } from "std/encoders"\nimport { MLPProjector } from "std/connectors"\nimport { Decoder } from "std/llm"\n`;

beforeAll(async () => {
  await useBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "mmc-init-"));
  writeFixture(join(dir, "w/clip.safetensors"), safetensorsBytes(clipVisionTensors(CLIP), 21));
  writeFixture(join(dir, "w/llama.safetensors"), safetensorsBytes(llamaTensors(LLAMA), 22));
  writeFixture(
    join(dir, "w/llama-bf16.safetensors"),
    safetensorsBytes(llamaTensors(LLAMA), 23, "BF16"),
  );
  writeSharded(join(dir, "w/llama-sharded"), llamaTensors(LLAMA), 22, 3);
});

describe("init: loading pretrained weights", () => {
  test("a CLIP tower and a Llama decoder in Hugging Face's layout; the connector as usual", () => {
    const m = checked(`${IMPORTS}
model M {
  image: Image[3, 16, 16]
  vision: ViT { ${VIT}, init: safetensors("w/clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { ${LLM}, init: safetensors("w/llama.safetensors", layout: hf) }
}`);
    const model = new MultimodalModel(m.summary, 7);
    const fresh = new MultimodalModel(m.summary, 7);
    const lines = loadInitWeights(model.params, inputOf(m), initsOf(m));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^init: vision from `.*clip\.safetensors` \(hf layout, \d+ tensors\)$/,
    );
    let compared = 0;
    for (const file of ["w/clip.safetensors", "w/llama.safetensors"])
      for (const [hf, t] of readBack(join(dir, file))) {
        const { name, matrix } = mmcName(hf);
        expect(Array.from(values(model, name)), name).toEqual(
          Array.from(torchToMmc(t.shape, t.values, matrix)),
        );
        compared++;
      }
    expect(compared).toBe(clipVisionTensors(CLIP).length + llamaTensors(LLAMA).length);
    // Every loaded parameter was compared; the connector's are the seeded ones.
    const loaded = model.params.specs.filter((s) => !s.name.startsWith("connector."));
    expect(loaded.length).toBe(compared);
    for (const s of model.params.specs.filter((x) => x.name.startsWith("connector.")))
      expect(Array.from(values(model, s.name))).toEqual(Array.from(values(fresh, s.name)));
    model.dispose();
    fresh.dispose();
  });

  test("BF16 is widened exactly, and said", () => {
    const m = checked(
      `${IMPORTS}\nmodel M { llm: Decoder { ${LLM}, init: safetensors("w/llama-bf16.safetensors", layout: hf) } }`,
    );
    const model = new MultimodalModel(m.summary, 7);
    const [line] = loadInitWeights(model.params, inputOf(m), initsOf(m));
    expect(line).toContain(`${llamaTensors(LLAMA).length} BF16 widened to fp32`);
    const file = readBack(join(dir, "w/llama-bf16.safetensors"));
    const q = file.get("model.layers.1.self_attn.q_proj.weight")!;
    expect(Array.from(values(model, "llm.layers.1.attn.q.weight"))).toEqual(
      Array.from(torchToMmc(q.shape, q.values, true)),
    );
    // bf16 values: the low 16 bits of each fp32 are zero
    const bits = new Uint32Array(values(model, "llm.embed.weight").buffer.slice(0));
    expect(bits.every((b) => (b & 0xffff) === 0)).toBe(true);
    model.dispose();
  });

  test("a sharded folder loads the same values as one file", () => {
    const one = checked(
      `${IMPORTS}\nmodel M { llm: Decoder { ${LLM}, init: safetensors("w/llama.safetensors", layout: hf) } }`,
    );
    const sharded = checked(
      `${IMPORTS}\nmodel M { llm: Decoder { ${LLM}, init: safetensors("w/llama-sharded", layout: hf) } }`,
    );
    const a = new MultimodalModel(one.summary, 1);
    const b = new MultimodalModel(sharded.summary, 2);
    loadInitWeights(a.params, inputOf(one), initsOf(one));
    const [line] = loadInitWeights(b.params, inputOf(sharded), initsOf(sharded));
    expect(line).toContain("llama-sharded");
    for (const s of a.params.specs)
      expect(Array.from(values(b, s.name)), s.name).toEqual(Array.from(values(a, s.name)));
    a.dispose();
    b.dispose();
  });

  test("mmc's own checkpoint names on a model; AdamW moments in the file are skipped", () => {
    const spec = `${IMPORTS}\nmodel M { init: safetensors("w/mmc.safetensors")\n llm: Decoder { ${LLM} } }`;
    const plain = checked(`${IMPORTS}\nmodel M { llm: Decoder { ${LLM} } }`);
    const source = new MultimodalModel(plain.summary, 5);
    const tensors = new Map<string, StTensor>();
    for (const [n, v] of source.params.entries()) {
      const data = v.dataSync() as Float32Array;
      tensors.set(`param.${n}`, { dtype: "F32", shape: [...v.shape], data });
      tensors.set(`adam_m.${n}`, {
        dtype: "F32",
        shape: [...v.shape],
        data: new Float32Array(data.length),
      });
    }
    writeFixture(join(dir, "w/mmc.safetensors"), encodeSafetensors(tensors));
    const m = checked(spec);
    const target = new MultimodalModel(m.summary, 6);
    loadInitWeights(target.params, inputOf(m), initsOf(m));
    for (const s of source.params.specs)
      expect(Array.from(values(target, s.name)), s.name).toEqual(
        Array.from(values(source, s.name)),
      );
    source.dispose();
    target.dispose();
  });
});
