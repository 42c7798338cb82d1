// Tiny pretrained checkpoints in Hugging Face's own tensor layout, written by hand from HF's
// module names (LlamaForCausalLM, CLIPVisionModel), not from mmc's name table, so loading them
// tests that table. Values are seeded random; F32 or BF16. The safetensors writer is this
// file's own (raw bytes), independent of the runtime's reader.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { uniformStream } from "../../src/runtime/init.js";

export type FixtureDtype = "F32" | "BF16" | "F16" | "I64";

export interface FixtureTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** Norm scales near 1 (as trained norms are), everything else small. */
  readonly kind?: "norm";
}

export interface LlamaShape {
  readonly vocab: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly hidden: number;
  readonly tied?: boolean;
}

/** `LlamaForCausalLM`'s state dict: linear weights [out, in]. */
export function llamaTensors(c: LlamaShape): FixtureTensor[] {
  const hd = c.width / c.heads;
  const out: FixtureTensor[] = [{ name: "model.embed_tokens.weight", shape: [c.vocab, c.width] }];
  for (let i = 0; i < c.depth; i++) {
    const l = `model.layers.${i}`;
    out.push(
      { name: `${l}.input_layernorm.weight`, shape: [c.width], kind: "norm" },
      { name: `${l}.self_attn.q_proj.weight`, shape: [c.heads * hd, c.width] },
      { name: `${l}.self_attn.k_proj.weight`, shape: [c.kvHeads * hd, c.width] },
      { name: `${l}.self_attn.v_proj.weight`, shape: [c.kvHeads * hd, c.width] },
      { name: `${l}.self_attn.o_proj.weight`, shape: [c.width, c.heads * hd] },
      { name: `${l}.post_attention_layernorm.weight`, shape: [c.width], kind: "norm" },
      { name: `${l}.mlp.gate_proj.weight`, shape: [c.hidden, c.width] },
      { name: `${l}.mlp.up_proj.weight`, shape: [c.hidden, c.width] },
      { name: `${l}.mlp.down_proj.weight`, shape: [c.width, c.hidden] },
    );
  }
  out.push({ name: "model.norm.weight", shape: [c.width], kind: "norm" });
  if (!c.tied) out.push({ name: "lm_head.weight", shape: [c.vocab, c.width] });
  return out;
}

export interface ClipShape {
  readonly image: number;
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly hidden: number;
}

/** `CLIPVisionModel`'s state dict (no patch bias, a pre-norm, the post-norm). */
export function clipVisionTensors(c: ClipShape): FixtureTensor[] {
  const positions = (c.image / c.patch) ** 2 + 1;
  const v = "vision_model";
  const out: FixtureTensor[] = [
    { name: `${v}.embeddings.class_embedding`, shape: [c.width] },
    { name: `${v}.embeddings.patch_embedding.weight`, shape: [c.width, 3, c.patch, c.patch] },
    { name: `${v}.embeddings.position_embedding.weight`, shape: [positions, c.width] },
    { name: `${v}.pre_layrnorm.weight`, shape: [c.width], kind: "norm" },
    { name: `${v}.pre_layrnorm.bias`, shape: [c.width] },
  ];
  for (let i = 0; i < c.depth; i++) {
    const l = `${v}.encoder.layers.${i}`;
    for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"])
      out.push(
        { name: `${l}.self_attn.${p}.weight`, shape: [c.width, c.width] },
        { name: `${l}.self_attn.${p}.bias`, shape: [c.width] },
      );
    out.push(
      { name: `${l}.layer_norm1.weight`, shape: [c.width], kind: "norm" },
      { name: `${l}.layer_norm1.bias`, shape: [c.width] },
      { name: `${l}.mlp.fc1.weight`, shape: [c.hidden, c.width] },
      { name: `${l}.mlp.fc1.bias`, shape: [c.hidden] },
      { name: `${l}.mlp.fc2.weight`, shape: [c.width, c.hidden] },
      { name: `${l}.mlp.fc2.bias`, shape: [c.width] },
      { name: `${l}.layer_norm2.weight`, shape: [c.width], kind: "norm" },
      { name: `${l}.layer_norm2.bias`, shape: [c.width] },
    );
  }
  out.push(
    { name: `${v}.post_layernorm.weight`, shape: [c.width], kind: "norm" },
    { name: `${v}.post_layernorm.bias`, shape: [c.width] },
  );
  return out;
}

const BYTES: Record<FixtureDtype, number> = { F32: 4, BF16: 2, F16: 2, I64: 8 };

/** The bytes of one value in `dtype` (BF16: the fp32's top half, so it is exact by design). */
function put(view: DataView, at: number, x: number, dtype: FixtureDtype): void {
  const f32 = new DataView(new ArrayBuffer(4));
  f32.setFloat32(0, x, true);
  if (dtype === "F32") view.setFloat32(at, x, true);
  else if (dtype === "BF16") view.setUint16(at, f32.getUint32(0, true) >>> 16, true);
  else if (dtype === "I64") view.setBigInt64(at, BigInt(Math.round(x * 100)), true);
  else {
    // F16 by hand, for normal values of the small range used here.
    const s = x < 0 ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a < 2 ** -14) view.setUint16(at, s, true);
    else {
      const e = Math.floor(Math.log2(a));
      const m = Math.round((a / 2 ** e - 1) * 1024);
      view.setUint16(at, s | ((e + 15) << 10) | Math.min(m, 1023), true);
    }
  }
}

/** A safetensors file's bytes: tensors in order, random values from `seed`. */
export function safetensorsBytes(
  tensors: readonly FixtureTensor[],
  seed: number,
  dtype: FixtureDtype | ((name: string) => FixtureDtype) = "F32",
): Uint8Array {
  const dtypeOf = typeof dtype === "function" ? dtype : () => dtype;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let offset = 0;
  const sized = tensors.map((t) => {
    const d = dtypeOf(t.name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const entry = { t, d, n, start: offset };
    header[t.name] = { dtype: d, shape: t.shape, data_offsets: [offset, offset + n * BYTES[d]] };
    offset += n * BYTES[d];
    return entry;
  });
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " ";
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  for (const { t, d, n, start } of sized) {
    // Seeded per tensor, so the same tensor has the same values in one file or in a shard.
    const next = uniformStream(seed * 1_000_003 + nameHash(t.name));
    for (let i = 0; i < n; i++) {
      const u = next() * 2 - 1;
      const x = t.kind === "norm" ? 1 + 0.2 * u : 0.2 * u;
      put(view, 8 + head.length + start + i * BYTES[d], x, d);
    }
  }
  return out;
}

function nameHash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function writeFixture(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/**
 * A sharded folder: the tensors split over `shards` files with Hugging Face's file names and
 * `model.safetensors.index.json`; each tensor's values are those `safetensorsBytes` gives it.
 */
export function writeSharded(
  dir: string,
  tensors: readonly FixtureTensor[],
  seed: number,
  shards: number,
): void {
  const per = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part = tensors.slice(s * per, (s + 1) * per);
    for (const t of part) weightMap[t.name] = file;
    writeFixture(`${dir}/${file}`, safetensorsBytes(part, seed));
  }
  writeFixture(
    `${dir}/model.safetensors.index.json`,
    new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2)),
  );
}
