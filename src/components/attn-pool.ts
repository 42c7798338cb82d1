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
import { IN_FIELD, OUT_FIELD, TOKENS_FIELD, resolveConnectorIo } from "./connector-io.js";
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

const FIELDS: readonly FieldSpec[] = [
  TOKENS_FIELD,
  { name: "heads", doc: "attention heads; must divide `in`", type: HEADS, default: dflt(8) },
  IN_FIELD,
  OUT_FIELD,
];

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

function attentionOf(c: Config): AttentionShape {
  const width = getInt(c, "in");
  const heads = getInt(c, "heads");
  return {
    width,
    heads,
    kvHeads: heads,
    headDim: width / heads,
    qkvBias: true,
    outBias: true,
    qkNorm: "none",
    normKind: "layer",
  };
}

/** Tensors: `queries` [tokens, in], `attn.{q,k,v,o}` [in, in] with biases, `proj` [in, out] with bias. */
function manifest(c: Config): WeightTensor[] {
  const a = attentionOf(c);
  return [
    matrix("queries", [getInt(c, "tokens"), a.width]),
    ...attentionTensors("attn", a),
    ...linear("proj", a.width, getInt(c, "out"), true),
  ];
}

function params(c: Config): ParamCount {
  const a = attentionOf(c);
  const out = getInt(c, "out");
  const total =
    getInt(c, "tokens") * a.width + attentionParams(a) + linearParams(a.width, out, true);
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
