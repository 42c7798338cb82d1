// The Hugging Face names of each component kind's weights, written once as data: the PyTorch
// target's modules carry these names (its loader applies this table to what the runtime writes),
// and a loader of Hugging Face checkpoints for the runtime can read it the other way.
import { isMlpValue } from "./fields.js";
import type { Config } from "./types.js";

/**
 * How a rule's tensors are named and laid out. mmc stores matrices as [in, out] and filters as
 * [kh, kw, in, out] (the tfjs convention); PyTorch as [out, in] and [out, in, kh, kw].
 * - `linear`: `.weight` transposed, `.bias` as is;
 * - `conv`: `.weight` [kh, kw, in, out] -> [out, in, kh, kw], `.bias` as is (also the patch
 *   embedding, whose [patch, patch, channels, width] filter is a stride-`patch` convolution);
 * - `depthwise`: `.weight` [kh, kw, channels, 1] -> [channels, 1, kh, kw];
 * - `norm`: `.weight` and `.bias` as they are;
 * - `embedding`: `.weight` as it is;
 * - `param`: the tensor itself (no suffix), as it is;
 * - `batched`: the tensor itself, with a leading axis of 1 ([n, c] -> [1, n, c]).
 */
export type HfRuleKind =
  "linear" | "conv" | "depthwise" | "norm" | "embedding" | "param" | "batched";

/** How one tensor moves between the two layouts. */
export type HfLayout = "same" | "transpose" | "conv" | "depthwise" | "unsqueeze";

/**
 * One module (or tensor) of a kind. Templates hold integer placeholders: `{i}` in `mmc`, and
 * `{i}`, `{i+1}` or `{i*2}` in `hf` (timm numbers its blocks `b1, b2, ...`; a `Sequential` with
 * activations between its linears numbers them `0, 2, ...`).
 */
export interface HfNameRule {
  /** The mmc manifest name without its `.weight`/`.bias` suffix, relative to the component. */
  readonly mmc: string;
  readonly hf: string;
  readonly kind: HfRuleKind;
  /** Only for an MLP of this activation (CLIP-style ViT MLPs name SwiGLU's `up` `fc3`). */
  readonly only?: "swiglu" | "plain";
}

/** The suffixes each rule kind covers and the layout of each. */
export const RULE_TENSORS: Readonly<Record<HfRuleKind, Readonly<Record<string, HfLayout>>>> = {
  linear: { ".weight": "transpose", ".bias": "same" },
  conv: { ".weight": "conv", ".bias": "same" },
  depthwise: { ".weight": "depthwise" },
  norm: { ".weight": "same", ".bias": "same" },
  embedding: { ".weight": "same" },
  param: { "": "same" },
  batched: { "": "unsqueeze" },
};

function under(mmc: string, hf: string, rules: readonly HfNameRule[]): HfNameRule[] {
  return rules.map((r) => ({ ...r, mmc: `${mmc}.${r.mmc}`, hf: `${hf}.${r.hf}` }));
}

/** Hugging Face Llama's attention names; `out` is CLIP's `out_proj` or Llama's `o_proj`. */
function attention(out: string): HfNameRule[] {
  return [
    { mmc: "q", hf: "q_proj", kind: "linear" },
    { mmc: "k", hf: "k_proj", kind: "linear" },
    { mmc: "v", hf: "v_proj", kind: "linear" },
    { mmc: "o", hf: out, kind: "linear" },
    { mmc: "q_norm", hf: "q_norm", kind: "norm" },
    { mmc: "k_norm", hf: "k_norm", kind: "norm" },
  ];
}

const LLAMA_MLP: readonly HfNameRule[] = [
  { mmc: "gate", hf: "gate_proj", kind: "linear" },
  { mmc: "up", hf: "up_proj", kind: "linear" },
  { mmc: "down", hf: "down_proj", kind: "linear" },
];

/** CLIP's vision tower (`CLIPVisionModel`); SwiGLU MLPs as AIMv2 names them (fc1, fc3, fc2). */
const VIT: readonly HfNameRule[] = [
  { mmc: "patch_embed", hf: "vision_model.embeddings.patch_embedding", kind: "conv" },
  { mmc: "class_token", hf: "vision_model.embeddings.class_embedding", kind: "param" },
  { mmc: "pos_embed", hf: "vision_model.embeddings.position_embedding.weight", kind: "param" },
  { mmc: "pre_norm", hf: "vision_model.pre_layrnorm", kind: "norm" },
  ...under("layers.{i}", "vision_model.encoder.layers.{i}", [
    { mmc: "attn_norm", hf: "layer_norm1", kind: "norm" },
    ...under("attn", "self_attn", attention("out_proj")),
    { mmc: "mlp_norm", hf: "layer_norm2", kind: "norm" },
    { mmc: "mlp.up", hf: "mlp.fc1", kind: "linear", only: "plain" },
    { mmc: "mlp.gate", hf: "mlp.fc1", kind: "linear", only: "swiglu" },
    { mmc: "mlp.up", hf: "mlp.fc3", kind: "linear", only: "swiglu" },
    { mmc: "mlp.down", hf: "mlp.fc2", kind: "linear" },
  ]),
  { mmc: "final_norm", hf: "vision_model.post_layernorm", kind: "norm" },
  { mmc: "head", hf: "head", kind: "linear" },
];

/** Qwen2-MoE's names, with `shared_experts.{s}` for several shared experts. */
const MOE: readonly HfNameRule[] = [
  { mmc: "router", hf: "gate", kind: "linear" },
  ...under("experts.{e}.mlp", "experts.{e}", LLAMA_MLP),
  ...under("shared.{s}.mlp", "shared_experts.{s}", LLAMA_MLP),
  { mmc: "shared_gate", hf: "shared_expert_gate", kind: "linear" },
];

/**
 * Hugging Face Llama's names (`LlamaForCausalLM`); biases where Qwen2 puts them, query/key
 * norms where Qwen3 (per head) and OLMo2 (whole projection) do, learned positions as
 * `model.embed_positions` (OPT's word), an MoE FFN as Qwen2-MoE's `mlp`.
 */
const DECODER: readonly HfNameRule[] = [
  { mmc: "embed", hf: "model.embed_tokens", kind: "embedding" },
  { mmc: "pos_embed", hf: "model.embed_positions.weight", kind: "param" },
  ...under("layers.{i}", "model.layers.{i}", [
    { mmc: "attn_norm", hf: "input_layernorm", kind: "norm" },
    ...under("attn", "self_attn", attention("o_proj")),
    { mmc: "mlp_norm", hf: "post_attention_layernorm", kind: "norm" },
    ...under("mlp", "mlp", LLAMA_MLP),
    ...under("moe", "mlp", MOE),
  ]),
  { mmc: "final_norm", hf: "model.norm", kind: "norm" },
  { mmc: "head", hf: "lm_head", kind: "linear" },
];

/** Honeybee's C-Abstractor: `net` is (stage, pooling, stage) of timm `RegStage`s. */
function regStage(mmc: string, hf: string): HfNameRule[] {
  return under(`${mmc}.{i}`, `${hf}.b{i+1}`, [
    { mmc: "conv1", hf: "conv1.conv", kind: "conv" },
    { mmc: "norm1", hf: "conv1.bn", kind: "norm" },
    { mmc: "conv2", hf: "conv2.conv", kind: "depthwise" },
    { mmc: "norm2", hf: "conv2.bn", kind: "norm" },
    { mmc: "se.fc1", hf: "se.fc1", kind: "conv" },
    { mmc: "se.fc2", hf: "se.fc2", kind: "conv" },
    { mmc: "conv3", hf: "conv3.conv", kind: "conv" },
    { mmc: "norm3", hf: "conv3.bn", kind: "norm" },
    { mmc: "shortcut", hf: "downsample.conv", kind: "conv" },
    { mmc: "shortcut_norm", hf: "downsample.bn", kind: "norm" },
  ]);
}

const C_ABSTRACTOR: readonly HfNameRule[] = [
  { mmc: "pos_embed", hf: "pos_emb", kind: "batched" },
  ...regStage("stage1", "net.0"),
  ...regStage("stage2", "net.2"),
  { mmc: "readout.{j}", hf: "readout.{j*2}", kind: "linear" },
];

/** Every kind's rules, by kind name. */
export const HF_NAMES: Readonly<Record<string, readonly HfNameRule[]>> = {
  ViT: VIT,
  AvgPool: [{ mmc: "proj", hf: "proj", kind: "linear" }],
  AttnPool: [
    { mmc: "queries", hf: "queries", kind: "param" },
    ...under("attn", "attn", attention("o_proj")),
    { mmc: "proj", hf: "proj", kind: "linear" },
  ],
  CAbstractor: C_ABSTRACTOR,
  // LLaVA's `multi_modal_projector`.
  MLPProjector: [
    { mmc: "fc1", hf: "linear_1", kind: "linear" },
    { mmc: "fc2", hf: "linear_2", kind: "linear" },
  ],
  Decoder: DECODER,
  MoE: MOE,
};

const PLACEHOLDER = /\{(\w)(?:([+*])(\d+))?\}/g;

interface Template {
  readonly regex: RegExp;
  /** Per capture group: the placeholder's variable and its arithmetic. */
  readonly slots: readonly { name: string; op?: "+" | "*"; by: number }[];
}

const compiled = new Map<string, Template>();

function template(text: string): Template {
  const cached = compiled.get(text);
  if (cached) return cached;
  let source = "";
  let at = 0;
  const slots: Template["slots"][number][] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    source += escapeRegex(text.slice(at, m.index)) + "(\\d+)";
    const op = m[2] as "+" | "*" | undefined;
    slots.push({ name: m[1] as string, ...(op ? { op } : {}), by: Number(m[3] ?? 0) });
    at = m.index + m[0].length;
  }
  const t = { regex: new RegExp(`^${source}${escapeRegex(text.slice(at))}$`), slots };
  compiled.set(text, t);
  return t;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The values of `text`'s placeholders if it matches `pattern`; each slot's arithmetic undone. */
function match(pattern: string, text: string): Map<string, number> | undefined {
  const t = template(pattern);
  const m = t.regex.exec(text);
  if (!m) return undefined;
  const values = new Map<string, number>();
  for (const [k, slot] of t.slots.entries()) {
    const n = Number(m[k + 1]);
    const v = slot.op === "+" ? n - slot.by : slot.op === "*" ? n / slot.by : n;
    if (!Number.isInteger(v) || v < 0) return undefined;
    const seen = values.get(slot.name);
    if (seen !== undefined && seen !== v) return undefined;
    values.set(slot.name, v);
  }
  return values;
}

function fill(pattern: string, values: ReadonlyMap<string, number>): string {
  return pattern.replace(PLACEHOLDER, (_, name: string, op?: string, by?: string) => {
    const v = values.get(name);
    if (v === undefined) throw new Error(`internal: no value for \`{${name}}\` in \`${pattern}\``);
    const c = Number(by ?? 0);
    return String(op === "+" ? v + c : op === "*" ? v * c : v);
  });
}

/** Which MLP-specific rules apply to a resolved config (`swiglu` or `plain`). */
function mlpVariant(config: Config | undefined): "swiglu" | "plain" {
  const mlp = config?.["mlp"];
  return isMlpValue(mlp) && mlp.fn === "swiglu" ? "swiglu" : "plain";
}

export interface HfTensor {
  readonly name: string;
  readonly layout: HfLayout;
}

function rulesFor(kind: string, config: Config | undefined): readonly HfNameRule[] {
  const rules = HF_NAMES[kind];
  if (rules === undefined) throw new Error(`internal: no Hugging Face names for \`${kind}\``);
  const variant = mlpVariant(config);
  return rules.filter((r) => r.only === undefined || r.only === variant);
}

/** The Hugging Face name of a kind's tensor (`layers.0.attn.q.weight`), or undefined. */
export function toHfName(kind: string, name: string, config?: Config): HfTensor | undefined {
  for (const rule of rulesFor(kind, config)) {
    for (const [suffix, layout] of Object.entries(RULE_TENSORS[rule.kind])) {
      if (!name.endsWith(suffix)) continue;
      const values = match(rule.mmc, name.slice(0, name.length - suffix.length));
      if (values) return { name: fill(rule.hf, values) + suffix, layout };
    }
  }
  return undefined;
}

/** The mmc name of a kind's tensor from its Hugging Face name, or undefined (the inverse). */
export function fromHfName(kind: string, name: string, config?: Config): HfTensor | undefined {
  for (const rule of rulesFor(kind, config)) {
    for (const [suffix, layout] of Object.entries(RULE_TENSORS[rule.kind])) {
      if (!name.endsWith(suffix)) continue;
      const values = match(rule.hf, name.slice(0, name.length - suffix.length));
      if (values) return { name: fill(rule.mmc, values) + suffix, layout };
    }
  }
  return undefined;
}

/** A tensor's shape in the Hugging Face layout, from its mmc shape. */
export function hfShape(shape: readonly number[], layout: HfLayout): number[] {
  const [a, b, c, d] = shape as [number, number, number, number];
  switch (layout) {
    case "transpose":
      return [b, a];
    case "conv":
      return [d, c, a, b];
    case "depthwise":
      return [c, d, a, b];
    case "unsqueeze":
      return [1, ...shape];
    case "same":
      return [...shape];
  }
}
