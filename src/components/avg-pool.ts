// AvgPool: MM1's average-pooling connector: adaptive average pooling of the square patch grid to
// sqrt(tokens) x sqrt(tokens), then one linear layer from the encoder width to the LLM width.
import { linear, linearFlops, linearParams } from "./blocks.js";
import {
  IN_FIELD,
  OUT_FIELD,
  TOKENS_FIELD,
  checkPooling,
  connectorIoConfig,
  resolveConnectorIo,
  type ConnectorIoConfig,
} from "./connector-io.js";
import { getInt, readFields } from "./fields.js";
import type {
  ComponentKind,
  Config,
  FieldSpec,
  ParamCount,
  ResolveContext,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { AVG_POOL } from "./weight-names.js";

const FIELDS: readonly FieldSpec[] = [TOKENS_FIELD, IN_FIELD, OUT_FIELD];

/** A resolved AvgPool config, typed: pool to a sqrt(`tokens`)^2 grid, then `proj`. */
export interface AvgPoolConfig extends ConnectorIoConfig {
  readonly tokens: number;
}

export function avgPoolConfig(c: Config): AvgPoolConfig {
  return { ...connectorIoConfig(c), tokens: getInt(c, "tokens") };
}

function resolve(config: Config, context: ResolveContext): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const io = resolveConnectorIo(fields, context);
  const tokens = fields["tokens"] as number;
  const pool = checkPooling(io.input, tokens, "AvgPool");
  const found = [...io.problems, ...pool.problems];
  if (found.length > 0) return { ok: false, problems: found };
  return {
    ok: true,
    config: fields,
    output: { tokens, width: fields["out"] as number, grid: [pool.side, pool.side] },
    inferred: io.inferred,
    assumed: io.assumed,
    warnings: [],
  };
}

/** Tensors: `proj` [in, out] with bias. */
function manifest(c: Config): WeightTensor[] {
  const a = avgPoolConfig(c);
  return linear(AVG_POOL.proj, a.in, a.out, true);
}

function params(c: Config): ParamCount {
  const total = linearParams(getInt(c, "in"), getInt(c, "out"), true);
  return { total, active: total };
}

/** Per image: the projection of each output token (pooling's additions are not counted). */
function flops(c: Config): number {
  return getInt(c, "tokens") * linearFlops(getInt(c, "in"), getInt(c, "out"));
}

/** Per image: the pooled tokens (the projection's input). */
function activations(c: Config): number {
  return getInt(c, "tokens") * getInt(c, "in");
}

export const avgPool: ComponentKind = {
  name: "AvgPool",
  role: "connector",
  doc: "Average pooling of the patch grid to sqrt(`tokens`) x sqrt(`tokens`), then a linear layer into the language model width.",
  fields: FIELDS,
  resolve,
  manifest,
  params,
  costUnit: "image",
  flops,
  activations,
};
