// Decoder: the language model kind (token embedding, learned/rotary/no positions, pre-norm blocks
// with grouped-query attention and a GELU/SwiGLU MLP or an MoE FFN, final norm, tied or untied head).
// Knobs cover GPT-2 (124,439,808 parameters) and Llama-2-7B (6,738,415,616).
import {
  attentionActivations,
  attentionFlops,
  attentionParams,
  attentionTensors,
  linear,
  linearFlops,
  matrix,
  mlpActivations,
  mlpFlops,
  mlpParams,
  mlpTensors,
  norm,
  normParams,
  under,
  type AttentionShape,
  type NormKind,
  type QkNorm,
} from "./blocks.js";
import {
  ABSENT,
  DEPTH,
  HEADS,
  MLP_FNS,
  WIDTH,
  dflt,
  getBool,
  getConfig,
  getInt,
  getMlp,
  getWord,
  inferred,
  readFields,
  sized,
} from "./fields.js";
import { LIMITS } from "./limits.js";
import { moe, moeLayerCount, moeLayers } from "./moe.js";
import { divisorsNear, headsProblem, problem } from "./problem.js";
import type {
  ComponentKind,
  Config,
  CostOptions,
  FieldSpec,
  ParamCount,
  Problem,
  ResolveResult,
  WeightTensor,
} from "./types.js";

const NORMS: readonly NormKind[] = ["layer", "rms"];
const BIASES = ["none", "all", "qkv"] as const;
const QK_NORMS: readonly QkNorm[] = ["none", "full", "head"];
const POSITIONS = ["learned", "rope", "none"] as const;

const FIELDS: readonly FieldSpec[] = [
  {
    name: "vocab",
    doc: "vocabulary size (rows of the token embedding)",
    type: sized(LIMITS.vocab),
    default: dflt(32000),
  },
  { name: "width", doc: "width of the residual stream", type: WIDTH, default: dflt(768) },
  { name: "depth", doc: "number of transformer blocks", type: DEPTH, default: dflt(12) },
  { name: "heads", doc: "query heads per block", type: HEADS, default: dflt(12) },
  {
    name: "kv_heads",
    doc: "key/value heads (grouped-query attention); must divide `heads`",
    type: HEADS,
    default: inferred("`heads`"),
  },
  {
    name: "head_dim",
    doc: "width of one head; the query width is then `heads * head_dim`",
    type: sized(LIMITS.headDim),
    default: inferred("`width / heads`"),
  },
  {
    name: "mlp",
    doc: "MLP of each block: `gelu(N)`, `swiglu(N)` or `relu(N)` with hidden width N",
    type: { kind: "mlp", fns: MLP_FNS, plain: "gelu", ...LIMITS.hidden },
    default: inferred("`gelu(4 * width)`"),
  },
  {
    name: "norm",
    doc: "norm kind: `layer` (with bias) or `rms`",
    type: { kind: "enum", words: NORMS },
    default: dflt("rms"),
  },
  {
    name: "biases",
    doc: "linear biases: `none`, `all` (attention and MLP) or `qkv` (query, key and value only)",
    type: { kind: "enum", words: BIASES },
    default: dflt("none"),
  },
  {
    name: "qk_norm",
    doc: "query/key norm: `none`, `full` (over the whole projection) or `head` (per head)",
    type: { kind: "enum", words: QK_NORMS },
    default: dflt("none"),
  },
  {
    name: "position",
    doc: "positions: `learned` (an embedding per position), `rope` (rotary) or `none`",
    type: { kind: "enum", words: POSITIONS },
    default: dflt("rope"),
  },
  {
    name: "rope_base",
    doc: "base of the rotary frequencies",
    type: { kind: "number", exclusiveMin: 0 },
    default: dflt(10000),
  },
  {
    name: "context",
    doc: "longest sequence, in tokens",
    type: sized(LIMITS.context),
    default: dflt(2048),
  },
  {
    name: "tied",
    doc: "the output head reuses the token embedding",
    type: { kind: "bool" },
    default: dflt(false),
  },
  {
    name: "final_norm",
    doc: "a norm after the last block",
    type: { kind: "bool" },
    default: dflt(true),
  },
  {
    name: "moe",
    doc: "a mixture-of-experts FFN in some layers (absent: every layer has the dense `mlp`)",
    type: { kind: "component", component: "MoE" },
    default: ABSENT,
  },
];

/** A nested component's problem, seen from the Decoder: its own fields and labels get `moe.`. */
function prefixed(prefix: string, p: Problem): Problem {
  const labels =
    p.labels === undefined
      ? {}
      : {
          labels: Object.fromEntries(
            Object.entries(p.labels).map(([k, v]) => [
              p.fields.includes(k) ? `${prefix}.${k}` : k,
              v,
            ]),
          ),
        };
  return { ...p, fields: p.fields.map((f) => `${prefix}.${f}`), ...labels };
}

function resolve(config: Config): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const width = fields["width"] as number;
  const heads = fields["heads"] as number;
  const inferredFrom: Record<string, string> = {};
  const found: Problem[] = [];
  if (fields["kv_heads"] === undefined) {
    fields["kv_heads"] = heads;
    inferredFrom["kv_heads"] = "`heads`";
  }
  const kvHeads = fields["kv_heads"] as number;
  if (heads % kvHeads !== 0) {
    found.push(
      problem(
        "MM2208",
        `\`heads\` ${heads} is not divisible by \`kv_heads\` ${kvHeads}`,
        ["kv_heads"],
        {
          related: ["heads"],
          labels: { kv_heads: `${kvHeads} key/value heads`, heads: `${heads} query heads` },
          help: `use \`kv_heads\` that divides ${heads} (${divisorsNear(heads, kvHeads).join(", ")})`,
        },
      ),
    );
  }
  if (fields["head_dim"] === undefined) {
    if (width % heads !== 0) found.push(headsProblem(width, heads, true));
    else {
      fields["head_dim"] = width / heads;
      inferredFrom["head_dim"] = `\`width / heads\` = ${width} / ${heads}`;
    }
  }
  const headDim = fields["head_dim"] as number | undefined;
  if (fields["position"] === "rope" && headDim !== undefined && headDim % 2 !== 0) {
    const where = inferredFrom["head_dim"];
    found.push(
      problem(
        "MM2209",
        `rotary positions need an even head width, but it is ${headDim}`,
        where ? ["heads"] : ["head_dim"],
        {
          related: ["position"],
          ...(where ? { notes: [`the head width is ${where}`] } : {}),
          help: where
            ? `use heads that leave an even head width (${evenHeadOptions(width, heads).join(", ")}), or write \`position: learned\``
            : `write \`head_dim: ${headDim + 1}\`, or \`position: learned\``,
        },
      ),
    );
  }
  if (fields["mlp"] === undefined) {
    fields["mlp"] = { fn: "gelu", hidden: 4 * width };
    inferredFrom["mlp"] = "`gelu(4 * width)`";
  }
  const moeConfig = fields["moe"];
  const warnings: Problem[] = [];
  if (moeConfig !== undefined) {
    const r = moe.resolve(moeConfig as Config, {
      decoder: {
        width,
        depth: fields["depth"] as number,
        mlp: getMlp(fields, "mlp"),
        mlpBias: fields["biases"] === "all",
      },
    });
    if (!r.ok) found.push(...r.problems.map((p) => prefixed("moe", p)));
    else {
      fields["moe"] = r.config;
      warnings.push(...r.warnings.map((p) => prefixed("moe", p)));
      for (const [k, v] of Object.entries(r.inferred)) inferredFrom[`moe.${k}`] = v;
    }
  }
  if (found.length > 0) return { ok: false, problems: found };
  return {
    ok: true,
    config: fields,
    output: { tokens: fields["context"] as number, width: fields["vocab"] as number },
    inferred: inferredFrom,
    assumed: [],
    warnings,
  };
}

function evenHeadOptions(width: number, heads: number): number[] {
  const out: number[] = [];
  for (let h = 1; h <= width && out.length < 24; h++) {
    if (width % h === 0 && (width / h) % 2 === 0) out.push(h);
  }
  out.sort((a, b) => Math.abs(a - heads) - Math.abs(b - heads) || a - b);
  return out.slice(0, 3).sort((a, b) => a - b);
}

function attentionOf(c: Config): AttentionShape {
  const biases = getWord(c, "biases", BIASES);
  return {
    width: getInt(c, "width"),
    heads: getInt(c, "heads"),
    kvHeads: getInt(c, "kv_heads"),
    headDim: getInt(c, "head_dim"),
    qkvBias: biases !== "none",
    outBias: biases === "all",
    qkNorm: getWord(c, "qk_norm", QK_NORMS),
    normKind: getWord(c, "norm", NORMS),
  };
}

/** Indices of layers whose FFN is the MoE (empty without `moe`). */
export function decoderMoeLayers(c: Config): number[] {
  const m = getConfig(c, "moe");
  return m === undefined ? [] : moeLayers(getInt(c, "depth"), getInt(m, "every"));
}

/**
 * Tensors: `embed.weight` [vocab, width], `pos_embed` [context, width] (learned positions),
 * `layers.<i>.{attn_norm, attn.{q,k,v,o,q_norm,k_norm}, mlp_norm, mlp.{gate,up,down} | moe.*}`,
 * `final_norm`, `head.weight` [width, vocab] (tied: `tiedTo: "embed.weight"`, the embedding
 * transposed, counted once).
 */
function manifest(c: Config): WeightTensor[] {
  const a = attentionOf(c);
  const width = a.width;
  const vocab = getInt(c, "vocab");
  const mlp = getMlp(c, "mlp");
  const mlpBias = getWord(c, "biases", BIASES) === "all";
  const moeConfig = getConfig(c, "moe");
  const moeAt = new Set(decoderMoeLayers(c));
  const out: WeightTensor[] = [matrix("embed.weight", [vocab, width])];
  if (getWord(c, "position", POSITIONS) === "learned") {
    out.push({ ...matrix("pos_embed", [getInt(c, "context"), width]), decay: false });
  }
  for (let i = 0; i < getInt(c, "depth"); i++) {
    const ffn =
      moeConfig !== undefined && moeAt.has(i)
        ? under("moe", moe.manifest(moeConfig))
        : mlpTensors("mlp", width, mlp, mlpBias);
    out.push(
      ...under(`layers.${i}`, [
        ...norm("attn_norm", width, a.normKind),
        ...attentionTensors("attn", a),
        ...norm("mlp_norm", width, a.normKind),
        ...ffn,
      ]),
    );
  }
  if (getBool(c, "final_norm")) out.push(...norm("final_norm", width, a.normKind));
  const head = linear("head", width, vocab, false)[0];
  if (head) out.push(getBool(c, "tied") ? { ...head, tiedTo: "embed.weight" } : head);
  return out;
}

/** Layers with the dense MLP and layers with the MoE FFN. */
function layerPattern(c: Config): { dense: number; moe: number } {
  const depth = getInt(c, "depth");
  const m = getConfig(c, "moe");
  const moeCount = m === undefined ? 0 : moeLayerCount(depth, getInt(m, "every"));
  return { dense: depth - moeCount, moe: moeCount };
}

/** A per-layer quantity summed over the layers: dense layers times one, MoE layers times the other. */
function perLayer(c: Config, each: (ffnDense: boolean) => number): number {
  const p = layerPattern(c);
  return (p.dense > 0 ? p.dense * each(true) : 0) + (p.moe > 0 ? p.moe * each(false) : 0);
}

/** The parameters of `manifest(c)`, per layer pattern: no tensor is built. */
function params(c: Config): ParamCount {
  const a = attentionOf(c);
  const width = a.width;
  const vocab = getInt(c, "vocab");
  const mlpBias = getWord(c, "biases", BIASES) === "all";
  const moeConfig = getConfig(c, "moe");
  const block = 2 * normParams(width, a.normKind) + attentionParams(a);
  const dense = block + mlpParams(width, getMlp(c, "mlp"), mlpBias);
  const moeCount = moeConfig === undefined ? { total: 0, active: 0 } : moe.params(moeConfig);
  const pattern = layerPattern(c);
  const total =
    vocab * width +
    (getWord(c, "position", POSITIONS) === "learned" ? getInt(c, "context") * width : 0) +
    pattern.dense * dense +
    pattern.moe * (block + moeCount.total) +
    (getBool(c, "final_norm") ? normParams(width, a.normKind) : 0) +
    (getBool(c, "tied") ? 0 : width * vocab);
  return { total, active: total - pattern.moe * (moeCount.total - moeCount.active) };
}

/** Forward FLOPs for one token attending over `sequence` positions (default: full `context`). */
function flops(c: Config, options: CostOptions = {}): number {
  const a = attentionOf(c);
  const keys = options.sequence ?? getInt(c, "context");
  const mlp = getMlp(c, "mlp");
  const moeConfig = getConfig(c, "moe");
  const moeFlops = moeConfig === undefined ? 0 : moe.flops(moeConfig);
  const layers = perLayer(
    c,
    (dense) => attentionFlops(a, keys) + (dense ? mlpFlops(a.width, mlp) : moeFlops),
  );
  return layers + linearFlops(a.width, getInt(c, "vocab"));
}

/** Activation elements per token in training over `sequence` positions (default: `context`). */
function activations(c: Config, options: CostOptions = {}): number {
  const a = attentionOf(c);
  const keys = options.sequence ?? getInt(c, "context");
  const mlp = getMlp(c, "mlp");
  const moeConfig = getConfig(c, "moe");
  const moeActs = moeConfig === undefined ? 0 : moe.activations(moeConfig);
  const layers = perLayer(
    c,
    (dense) =>
      attentionActivations(a, keys) +
      a.width +
      (dense ? mlpActivations(a.width, mlp) : a.width + moeActs),
  );
  // The embedding output, the final norm's input and the logits (kept for the loss).
  return a.width + layers + a.width + getInt(c, "vocab");
}

export const decoder: ComponentKind = {
  name: "Decoder",
  role: "llm",
  doc: "Decoder-only language model: reads text embeddings and image tokens of `width` and predicts the next token over `vocab`.",
  fields: FIELDS,
  resolve: (config) => resolve(config),
  manifest,
  params,
  costUnit: "token",
  flops,
  activations,
};

/** Parameters of a resolved Decoder config (convenience for tests and summaries). */
export function decoderParams(c: Config): number {
  return params(c).total;
}
