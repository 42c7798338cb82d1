// AttnPool: MM1's attention-pooling connector: `tokens` learned queries cross-attend to the patch
// tokens (multi-head, at the encoder width), then a linear layer maps them into the LLM width.
import {
  attentionParams,
  attentionTensors,
  linear,
  linearFlops,
  linearParams,
  matrix,
  type AttentionShape,
} from "./blocks.js";
import {
  IN_FIELD,
  OUT_FIELD,
  TOKENS_FIELD,
  connectorIoConfig,
  resolveConnectorIo,
  type ConnectorIoConfig,
} from "./connector-io.js";
import { HEADS, dflt, getInt, readFields } from "./fields.js";
import { headsProblem } from "./problem.js";
import type {
  ComponentKind,
  Config,
  FieldSpec,
  ParamCount,
  ResolveContext,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { ATTN_POOL } from "./weight-names.js";

const FIELDS: readonly FieldSpec[] = [
  TOKENS_FIELD,
  { name: "heads", doc: "attention heads; must divide `in`", type: HEADS, default: dflt(8) },
  IN_FIELD,
  OUT_FIELD,
];

/** A resolved AttnPool config, typed: `tokens` learned queries, `heads` heads at width `in`. */
export interface AttnPoolConfig extends ConnectorIoConfig {
  readonly tokens: number;
  readonly heads: number;
  /** Derived: the cross-attention (queries and keys both at width `in`, with biases). */
  readonly attention: AttentionShape;
}

export function attnPoolConfig(c: Config): AttnPoolConfig {
  const io = connectorIoConfig(c);
  const heads = getInt(c, "heads");
  return {
    ...io,
    tokens: getInt(c, "tokens"),
    heads,
    attention: {
      width: io.in,
      heads,
      kvHeads: heads,
      headDim: io.in / heads,
      qkvBias: true,
      outBias: true,
      qkNorm: "none",
      normKind: "layer",
    },
  };
}

function resolve(config: Config, context: ResolveContext): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const io = resolveConnectorIo(fields, context);
  const found = [...io.problems];
  const width = fields["in"] as number;
  const heads = fields["heads"] as number;
  if (width % heads !== 0) {
    const p = headsProblem(width, heads, false);
    found.push({
      ...p,
      fields: ["heads"],
      message: `the input width ${width} is not divisible by \`heads\` ${heads}`,
      related: ["vision.width"],
    });
  }
  if (found.length > 0) return { ok: false, problems: found };
  return {
    ok: true,
    config: fields,
    output: { tokens: fields["tokens"] as number, width: fields["out"] as number },
    inferred: io.inferred,
    assumed: io.assumed,
    warnings: [],
  };
}

/** Tensors: `queries` [tokens, in], `attn.{q,k,v,o}` [in, in] with biases, `proj` [in, out] with bias. */
function manifest(c: Config): WeightTensor[] {
  const p = attnPoolConfig(c);
  return [
    matrix(ATTN_POOL.queries, [p.tokens, p.in]),
    ...attentionTensors(ATTN_POOL.attn, p.attention),
    ...linear(ATTN_POOL.proj, p.in, p.out, true),
  ];
}

function params(c: Config): ParamCount {
  const p = attnPoolConfig(c);
  const total = p.tokens * p.in + attentionParams(p.attention) + linearParams(p.in, p.out, true);
  return { total, active: total };
}

/** Per image: keys/values of every patch token, the queries' attention over them, the projection. */
function flops(c: Config): number {
  const w = getInt(c, "in");
  const k = getInt(c, "tokens");
  const n = getInt(c, "in_tokens");
  const kv = n * 2 * linearFlops(w, w);
  const q = k * (2 * linearFlops(w, w) + 4 * n * w);
  return kv + q + k * linearFlops(w, getInt(c, "out"));
}

/** Per image: the patch tokens, their keys and values, per query q, probabilities and outputs. */
function activations(c: Config): number {
  const w = getInt(c, "in");
  const k = getInt(c, "tokens");
  const n = getInt(c, "in_tokens");
  return n * 3 * w + k * (2 * w + getInt(c, "heads") * n + w);
}

export const attnPool: ComponentKind = {
  name: "AttnPool",
  role: "connector",
  doc: "Attention pooling: `tokens` learned queries cross-attend to the patch tokens, then a linear layer maps them into the language model width.",
  fields: FIELDS,
  resolve,
  manifest,
  params,
  costUnit: "image",
  flops,
  activations,
};
