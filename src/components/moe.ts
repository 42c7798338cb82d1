// MoE: the mixture-of-experts FFN that replaces a Decoder layer's MLP in every `every`-th layer:
// a router, `experts` routed experts (each token goes to `top_k` of them), optional shared experts
// that every token uses, and an optional sigmoid gate on the shared experts' output.
import {
  asExpert,
  linear,
  linearFlops,
  linearParams,
  mlpActivations,
  mlpFlops,
  mlpParams,
  mlpTensors,
  under,
} from "./blocks.js";
import {
  HIDDEN,
  MLP_FNS,
  dflt,
  getBool,
  getInt,
  getNumber,
  getWord,
  inferred,
  readFields,
  sized,
} from "./fields.js";
import { LIMITS } from "./limits.js";
import { problem } from "./problem.js";
import type {
  ComponentKind,
  Config,
  DecoderContext,
  FieldSpec,
  MlpValue,
  ParamCount,
  Problem,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { MOE } from "./weight-names.js";

/** Stand-in Decoder when an MoE preset is inspected alone. */
export const STAND_IN_DECODER: DecoderContext = {
  width: 768,
  depth: 12,
  mlp: { fn: "gelu", hidden: 3072 },
  mlpBias: false,
};

const FIELDS: readonly FieldSpec[] = [
  {
    name: "experts",
    doc: "number of routed experts",
    type: sized(LIMITS.experts),
    default: dflt(8),
  },
  {
    name: "top_k",
    doc: "routed experts each token is sent to",
    type: sized(LIMITS.experts),
    default: dflt(2),
  },
  {
    name: "hidden",
    doc: "hidden width of each expert's MLP (same activation as the Decoder's `mlp`)",
    type: HIDDEN,
    default: inferred("the Decoder's `mlp` hidden width"),
  },
  {
    name: "every",
    doc: "put an MoE FFN in every N-th layer (layers N, 2N, ... counting from 1), or `all`",
    type: { kind: "int", min: 1, ...LIMITS.depth, words: ["all"] },
    default: dflt(1),
  },
  {
    name: "shared",
    doc: "shared experts every token uses",
    type: sized(LIMITS.experts, 0),
    default: dflt(0),
  },
  {
    name: "shared_hidden",
    doc: "hidden width of each shared expert",
    type: HIDDEN,
    default: inferred("`hidden`"),
  },
  {
    name: "shared_gate",
    doc: "a learned sigmoid gate on the shared experts' output",
    type: { kind: "bool" },
    default: dflt(false),
  },
  {
    name: "capacity",
    doc: "capacity factor: each expert takes at most capacity x tokens x top_k / experts tokens",
    type: { kind: "number", exclusiveMin: 0, ...LIMITS.capacity },
    default: dflt(1.25),
  },
  {
    name: "balance_loss",
    doc: "weight of the load-balance loss",
    type: { kind: "number", min: 0 },
    default: dflt(0.01),
  },
  {
    name: "z_loss",
    doc: "weight of the router z-loss",
    type: { kind: "number", min: 0 },
    default: dflt(0.001),
  },
];

/** How many of `depth` layers hold an MoE FFN: floor(depth / every) (see `moeLayers`). */
export function moeLayerCount(depth: number, every: number): number {
  return Math.floor(depth / every);
}

/** Zero-based indices of the layers that hold an MoE FFN: (i + 1) % every == 0. */
export function moeLayers(depth: number, every: number): number[] {
  const out: number[] = [];
  for (let i = every - 1; i < depth; i += every) out.push(i);
  return out;
}

function resolve(config: Config, context: { decoder?: DecoderContext }): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const assumed: string[] = [];
  let dec = context.decoder;
  if (dec === undefined) {
    dec = STAND_IN_DECODER;
    assumed.push(
      `decoder width ${dec.width}, depth ${dec.depth}, mlp ${dec.mlp.fn}(${dec.mlp.hidden}) (no Decoder given)`,
    );
  }
  if (fields["every"] === "all") fields["every"] = 1;
  const experts = fields["experts"] as number;
  const topK = fields["top_k"] as number;
  const every = fields["every"] as number;
  const found: Problem[] = [];
  if (topK > experts) {
    found.push(
      problem("MM2210", `\`top_k\` ${topK} is larger than \`experts\` ${experts}`, ["top_k"], {
        help: `write \`top_k: ${Math.min(2, experts)}\`, or use at least ${topK} experts`,
      }),
    );
  }
  if (every > dec.depth) {
    found.push(
      problem(
        "MM2211",
        `\`every\` ${every} is larger than the Decoder \`depth\` ${dec.depth}, so no layer gets an MoE FFN`,
        ["every"],
        {
          related: ["depth"],
          labels: { every: `every ${every} layers`, depth: `${dec.depth} layers` },
          help: `write \`every: ${Math.max(1, Math.min(2, dec.depth))}\` or \`every: all\``,
        },
      ),
    );
  }
  const warnings: Problem[] = [];
  if (fields["shared_gate"] === true && fields["shared"] === 0) {
    warnings.push(
      problem("MM2215", "`shared_gate` has no effect without shared experts", ["shared_gate"], {
        severity: "warning",
        help: "write `shared: 1`, or remove `shared_gate`",
      }),
    );
  }
  if (found.length > 0) return { ok: false, problems: found };
  const inferredFrom: Record<string, string> = {};
  if (fields["hidden"] === undefined) {
    fields["hidden"] = dec.mlp.hidden;
    inferredFrom["hidden"] = "the Decoder's `mlp`";
  }
  if (fields["shared_hidden"] === undefined) {
    fields["shared_hidden"] = fields["hidden"] as number;
    inferredFrom["shared_hidden"] = "`hidden`";
  }
  // Context numbers the arithmetic needs travel in the resolved config.
  fields["width"] = dec.width;
  fields["depth"] = dec.depth;
  fields["expert_fn"] = dec.mlp.fn;
  fields["bias"] = dec.mlpBias;
  return {
    ok: true,
    config: fields,
    output: { tokens: 1, width: dec.width },
    inferred: inferredFrom,
    assumed,
    warnings,
  };
}

/**
 * A resolved MoE config, typed, with the numbers it takes from the Decoder it sits in (`width`,
 * `depth`, the experts' activation `expertFn` and `bias`) and the layers it occupies.
 */
export interface MoeConfig {
  readonly experts: number;
  readonly topK: number;
  readonly every: number;
  readonly shared: number;
  readonly sharedGate: boolean;
  readonly capacity: number;
  readonly balanceLoss: number;
  readonly zLoss: number;
  /** Each routed expert's MLP: the Decoder's activation with width `hidden`. */
  readonly expert: MlpValue;
  /** Each shared expert's MLP (`shared_hidden`). */
  readonly sharedMlp: MlpValue;
  /** Context: the Decoder's width and depth, and whether its MLP linears have biases. */
  readonly width: number;
  readonly depth: number;
  readonly bias: boolean;
  /** Derived: zero-based indices of the layers with an MoE FFN. */
  readonly layers: readonly number[];
}

/** Reads a config returned by `resolve` (`ok: true`) into its typed form. */
export function moeConfig(c: Config): MoeConfig {
  const fn = getWord(c, "expert_fn", MLP_FNS);
  const depth = getInt(c, "depth");
  const every = getInt(c, "every");
  return {
    experts: getInt(c, "experts"),
    topK: getInt(c, "top_k"),
    every,
    shared: getInt(c, "shared"),
    sharedGate: getBool(c, "shared_gate"),
    capacity: getNumber(c, "capacity"),
    balanceLoss: getNumber(c, "balance_loss"),
    zLoss: getNumber(c, "z_loss"),
    expert: { fn, hidden: getInt(c, "hidden") },
    sharedMlp: { fn, hidden: getInt(c, "shared_hidden") },
    width: getInt(c, "width"),
    depth,
    bias: getBool(c, "bias"),
    layers: moeLayers(depth, every),
  };
}

/**
 * Tensors of ONE MoE layer: `router.weight` [width, experts], `experts.<e>.mlp.{gate,up,down}` (flagged
 * with their expert index), `shared.<s>.mlp.{...}`, `shared_gate.weight` [width, 1].
 */
function manifest(c: Config): WeightTensor[] {
  const s = moeConfig(c);
  const out: WeightTensor[] = [...linear(MOE.router, s.width, s.experts, false)];
  for (let e = 0; e < s.experts; e++) {
    out.push(...asExpert(e, under(MOE.expert(e), mlpTensors(MOE.mlp, s.width, s.expert, s.bias))));
  }
  for (let i = 0; i < s.shared; i++) {
    out.push(...under(MOE.shared(i), mlpTensors(MOE.mlp, s.width, s.sharedMlp, s.bias)));
  }
  if (s.sharedGate && s.shared > 0) out.push(...linear(MOE.sharedGate, s.width, 1, false));
  return out;
}

/**
 * Parameters of ONE MoE layer: the router, `experts` routed experts, the shared experts and the
 * gate; a token uses `top_k` of the routed experts.
 */
function params(c: Config): ParamCount {
  const s = moeConfig(c);
  const expert = mlpParams(s.width, s.expert, s.bias);
  const total =
    linearParams(s.width, s.experts, false) +
    s.experts * expert +
    s.shared * mlpParams(s.width, s.sharedMlp, s.bias) +
    (s.sharedGate && s.shared > 0 ? linearParams(s.width, 1, false) : 0);
  return { total, active: total - (s.experts - s.topK) * expert };
}

/** Forward FLOPs of one MoE layer for one token: router, `top_k` experts, shared experts, gate. */
function flops(c: Config): number {
  const s = moeConfig(c);
  return (
    linearFlops(s.width, s.experts) +
    s.topK * mlpFlops(s.width, s.expert) +
    s.shared * mlpFlops(s.width, s.sharedMlp) +
    (s.sharedGate && s.shared > 0 ? linearFlops(s.width, 1) : 0)
  );
}

/** Activation elements of one MoE layer per token: router logits and the experts it uses. */
function activations(c: Config): number {
  const s = moeConfig(c);
  return (
    s.experts +
    s.topK * mlpActivations(s.width, s.expert) +
    s.shared * mlpActivations(s.width, s.sharedMlp)
  );
}

export const moe: ComponentKind = {
  name: "MoE",
  role: "moe",
  doc: "Mixture-of-experts FFN for a Decoder's `moe` field: replaces the MLP of every `every`-th layer with `experts` routed experts, `top_k` per token.",
  fields: FIELDS,
  resolve: (config, context) => resolve(config, context),
  manifest,
  params,
  costUnit: "token",
  flops,
  activations,
};
