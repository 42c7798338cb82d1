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
  NORM_EPS_FIELD,
  WIDTH,
  dflt,
  getBool,
  getConfig,
  getInt,
  getMlp,
  getNumber,
  getWord,
  inferred,
  readFields,
  sized,
} from "./fields.js";
import { LIMITS } from "./limits.js";
import { moe, moeConfig, type MoeConfig } from "./moe.js";
import { divisorsNear, headsProblem, problem } from "./problem.js";
import type {
  ComponentKind,
  Config,
  CostOptions,
  FieldSpec,
  MlpValue,
  ParamCount,
  Problem,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { BLOCK, DECODER, PARAM, dot } from "./weight-names.js";

const NORMS: readonly NormKind[] = ["layer", "rms"];
const BIASES = ["none", "all", "qkv"] as const;
const QK_NORMS: readonly QkNorm[] = ["none", "full", "head"];
const POSITIONS = ["learned", "rope", "none"] as const;

export type DecoderBiases = (typeof BIASES)[number];
export type DecoderPosition = (typeof POSITIONS)[number];

/**
 * A resolved Decoder config, typed: every field filled (defaults and inferred values applied by
 * `resolve`), read once by `decoderConfig`. The runtime layers take this, not the field record.
 */
export interface DecoderConfig {
  readonly vocab: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly mlp: MlpValue;
  readonly norm: NormKind;
  /** The eps of every norm (`norm_eps`), the query/key norms' too. */
  readonly normEps: number;
  readonly biases: DecoderBiases;
  readonly qkNorm: QkNorm;
  readonly position: DecoderPosition;
  readonly ropeBase: number;
  readonly context: number;
  readonly tied: boolean;
  readonly finalNorm: boolean;
  readonly moe?: MoeConfig;
  /** Derived: the attention of every block. */
  readonly attention: AttentionShape;
  /** Derived: whether the MLP linears have biases (`biases: all`); MoE experts follow it. */
  readonly mlpBias: boolean;
  /** Derived: indices of the layers whose FFN is the MoE (empty without `moe`). */
  readonly moeLayers: ReadonlySet<number>;
}

/** Reads a config returned by `resolve` (`ok: true`) into its typed form. */
export function decoderConfig(c: Config): DecoderConfig {
  const width = getInt(c, "width");
  const heads = getInt(c, "heads");
  const biases = getWord(c, "biases", BIASES);
  const norm = getWord(c, "norm", NORMS);
  const normEps = getNumber(c, "norm_eps");
  const qkNorm = getWord(c, "qk_norm", QK_NORMS);
  const m = getConfig(c, "moe");
  const moeTyped = m === undefined ? undefined : moeConfig(m);
  const attention: AttentionShape = {
    width,
    heads,
    kvHeads: getInt(c, "kv_heads"),
    headDim: getInt(c, "head_dim"),
    qkvBias: biases !== "none",
    outBias: biases === "all",
    qkNorm,
    normKind: norm,
  };
  return {
    vocab: getInt(c, "vocab"),
    width,
    depth: getInt(c, "depth"),
    heads,
    kvHeads: attention.kvHeads,
    headDim: attention.headDim,
    mlp: getMlp(c, "mlp"),
    norm,
    normEps,
    biases,
    qkNorm,
    position: getWord(c, "position", POSITIONS),
    ropeBase: getNumber(c, "rope_base"),
    context: getInt(c, "context"),
    tied: getBool(c, "tied"),
    finalNorm: getBool(c, "final_norm"),
    ...(moeTyped === undefined ? {} : { moe: moeTyped }),
    attention,
    mlpBias: biases === "all",
    moeLayers: new Set(moeTyped?.layers ?? []),
  };
}

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
  NORM_EPS_FIELD,
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
    const evenHeads = evenHeadOptions(width, heads);
    found.push(
      problem(
        "MM2209",
        `rotary positions need an even head width, but it is ${headDim}`,
        where ? ["heads"] : ["head_dim"],
        {
          related: ["position"],
          ...(where ? { notes: [`the head width is ${where}`] } : {}),
          // An odd `width` leaves no head count with an even head width: then name `head_dim`.
          help: !where
            ? `write \`head_dim: ${headDim + 1}\`, or \`position: learned\``
            : evenHeads.length > 0
              ? `use heads that leave an even head width (${evenHeads.join(", ")}), or write \`position: learned\``
              : `no number of heads splits the odd \`width\` ${width} into even heads: write \`head_dim: ${headDim + (headDim % 2)}\` or an even \`width\`, or \`position: learned\``,
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

/** Indices of layers whose FFN is the MoE (empty without `moe`). */
export function decoderMoeLayers(c: Config): number[] {
  return [...decoderConfig(c).moeLayers];
}

/**
 * Tensors: `embed.weight` [vocab, width], `pos_embed` [context, width] (learned positions),
 * `layers.<i>.{attn_norm, attn.{q,k,v,o,q_norm,k_norm}, mlp_norm, mlp.{gate,up,down} | moe.*}`,
 * `final_norm`, `head.weight` [width, vocab] (tied: `tiedTo: "embed.weight"`, the embedding
 * transposed, counted once).
 */
function manifest(c: Config): WeightTensor[] {
  const d = decoderConfig(c);
  const a = d.attention;
  const embed = dot(DECODER.embed, PARAM.weight);
  const out: WeightTensor[] = [matrix(embed, [d.vocab, d.width])];
  if (d.position === "learned") {
    out.push({ ...matrix(DECODER.posEmbed, [d.context, d.width]), decay: false });
  }
  for (let i = 0; i < d.depth; i++) {
    const ffn =
      d.moe !== undefined && d.moeLayers.has(i)
        ? under(BLOCK.moe, moe.manifest(moeConfigRecord(c)))
        : mlpTensors(BLOCK.mlp, d.width, d.mlp, d.mlpBias);
    out.push(
      ...under(BLOCK.layer(i), [
        ...norm(BLOCK.attnNorm, d.width, d.norm),
        ...attentionTensors(BLOCK.attn, a),
        ...norm(BLOCK.mlpNorm, d.width, d.norm),
        ...ffn,
      ]),
    );
  }
  if (d.finalNorm) out.push(...norm(DECODER.finalNorm, d.width, d.norm));
  const head = linear(DECODER.head, d.width, d.vocab, false)[0];
  if (head) out.push(d.tied ? { ...head, tiedTo: embed } : head);
  return out;
}

/** The resolved MoE field record of a resolved Decoder config (present when `moe` is). */
function moeConfigRecord(c: Config): Config {
  const m = getConfig(c, "moe");
  if (m === undefined) throw new Error("internal: the Decoder has no `moe`");
  return m;
}

/** How many layers run the MoE FFN (the rest run the dense MLP). */
function moeLayerTotal(d: DecoderConfig): number {
  return d.moe === undefined ? 0 : d.moeLayers.size;
}

/** A per-layer quantity summed over the layers: dense layers times one, MoE layers times the other. */
function perLayer(d: DecoderConfig, each: (ffnDense: boolean) => number): number {
  const moeCount = moeLayerTotal(d);
  const dense = d.depth - moeCount;
  return (dense > 0 ? dense * each(true) : 0) + (moeCount > 0 ? moeCount * each(false) : 0);
}

/** The parameters of `manifest(c)`, per layer pattern: no tensor is built. */
function params(c: Config): ParamCount {
  const d = decoderConfig(c);
  const block = 2 * normParams(d.width, d.norm) + attentionParams(d.attention);
  const dense = block + mlpParams(d.width, d.mlp, d.mlpBias);
  const moeCount = d.moe === undefined ? { total: 0, active: 0 } : moe.params(moeConfigRecord(c));
  const moeLayers = moeLayerTotal(d);
  const total =
    d.vocab * d.width +
    (d.position === "learned" ? d.context * d.width : 0) +
    (d.depth - moeLayers) * dense +
    moeLayers * (block + moeCount.total) +
    (d.finalNorm ? normParams(d.width, d.norm) : 0) +
    (d.tied ? 0 : d.width * d.vocab);
  return { total, active: total - moeLayers * (moeCount.total - moeCount.active) };
}

/** Forward FLOPs for one token attending over `sequence` positions (default: full `context`). */
function flops(c: Config, options: CostOptions = {}): number {
  const d = decoderConfig(c);
  const keys = options.sequence ?? d.context;
  const moeFlops = d.moe === undefined ? 0 : moe.flops(moeConfigRecord(c));
  const layers = perLayer(
    d,
    (dense) => attentionFlops(d.attention, keys) + (dense ? mlpFlops(d.width, d.mlp) : moeFlops),
  );
  return layers + linearFlops(d.width, d.vocab);
}

/** Activation elements per token in training over `sequence` positions (default: `context`). */
function activations(c: Config, options: CostOptions = {}): number {
  const d = decoderConfig(c);
  const keys = options.sequence ?? d.context;
  const moeActs = d.moe === undefined ? 0 : moe.activations(moeConfigRecord(c));
  const layers = perLayer(
    d,
    (dense) =>
      attentionActivations(d.attention, keys) +
      d.width +
      (dense ? mlpActivations(d.width, d.mlp) : d.width + moeActs),
  );
  // The embedding output, the final norm's input and the logits (kept for the loss).
  return d.width + layers + d.width + d.vocab;
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
