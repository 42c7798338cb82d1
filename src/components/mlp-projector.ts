// MLPProjector: LLaVA-1.5's connector: two linear layers with a GELU between them, applied to
// every patch token, so the token count stays the encoder's. LLaVA's GELU is the exact (erf)
// one (`nn.GELU()`); `act: gelu_exact` selects it, the default `gelu` is the tanh form.
import { linear, linearFlops, linearParams } from "./blocks.js";
import {
  IN_FIELD,
  OUT_FIELD,
  connectorIoConfig,
  resolveConnectorIo,
  type ConnectorIoConfig,
} from "./connector-io.js";
import { HIDDEN, dflt, getInt, getWord, inferred, readFields } from "./fields.js";
import type {
  ComponentKind,
  Config,
  FieldSpec,
  ParamCount,
  ResolveContext,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { MLP_PROJECTOR } from "./weight-names.js";

/** The GELU between the layers. */
export type ProjectorAct = "gelu" | "gelu_exact";
const ACTS: readonly ProjectorAct[] = ["gelu", "gelu_exact"];

const FIELDS: readonly FieldSpec[] = [
  IN_FIELD,
  OUT_FIELD,
  {
    name: "hidden",
    doc: "width between the two layers",
    type: HIDDEN,
    default: inferred("`out`"),
  },
  {
    name: "act",
    doc: "the GELU between the layers: `gelu` (tanh form) or `gelu_exact` (erf, LLaVA's `nn.GELU()`)",
    type: { kind: "enum", words: ACTS },
    default: dflt("gelu"),
  },
];

/** A resolved MLPProjector config, typed: `fc1` [in, hidden], GELU, `fc2` [hidden, out]. */
export interface MlpProjectorConfig extends ConnectorIoConfig {
  readonly hidden: number;
  readonly act: ProjectorAct;
}

export function mlpProjectorConfig(c: Config): MlpProjectorConfig {
  return { ...connectorIoConfig(c), hidden: getInt(c, "hidden"), act: getWord(c, "act", ACTS) };
}

function resolve(config: Config, context: ResolveContext): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const io = resolveConnectorIo(fields, context);
  if (io.problems.length > 0) return { ok: false, problems: io.problems };
  const inferredFrom = { ...io.inferred };
  if (fields["hidden"] === undefined) {
    fields["hidden"] = fields["out"] as number;
    inferredFrom["hidden"] = "`out`";
  }
  const output = {
    tokens: io.input.tokens,
    width: fields["out"] as number,
    ...(io.input.grid === undefined ? {} : { grid: io.input.grid }),
  };
  return {
    ok: true,
    config: fields,
    output,
    inferred: inferredFrom,
    assumed: io.assumed,
    warnings: [],
  };
}

/** Tensors: `fc1` [in, hidden] and `fc2` [hidden, out], both with biases. */
function manifest(c: Config): WeightTensor[] {
  const m = mlpProjectorConfig(c);
  return [
    ...linear(MLP_PROJECTOR.fc1, m.in, m.hidden, true),
    ...linear(MLP_PROJECTOR.fc2, m.hidden, m.out, true),
  ];
}

function params(c: Config): ParamCount {
  const hidden = getInt(c, "hidden");
  const total =
    linearParams(getInt(c, "in"), hidden, true) + linearParams(hidden, getInt(c, "out"), true);
  return { total, active: total };
}

function flops(c: Config): number {
  const hidden = getInt(c, "hidden");
  return (
    getInt(c, "in_tokens") *
    (linearFlops(getInt(c, "in"), hidden) + linearFlops(hidden, getInt(c, "out")))
  );
}

/** Per image: the input of `fc1`, the GELU input and the input of `fc2`, for every token. */
function activations(c: Config): number {
  return getInt(c, "in_tokens") * (getInt(c, "in") + 2 * getInt(c, "hidden"));
}

export const mlpProjector: ComponentKind = {
  name: "MLPProjector",
  role: "connector",
  doc: "LLaVA-1.5's two-layer MLP with GELU: maps every patch token into the language model width and keeps the token count.",
  fields: FIELDS,
  resolve,
  manifest,
  params,
  costUnit: "image",
  flops,
  activations,
};
