// CAbstractor: Honeybee's convolutional connector (MM1's choice): a learned positional embedding on
// the patch grid, a stage of `depth` RegNet bottleneck blocks, adaptive average pooling to
// sqrt(tokens) x sqrt(tokens), a second stage, then an `mlp_depth`-layer MLP into the LLM width.
import { linear, linearFlops, linearParams, matrix, norm, under, zeros } from "./blocks.js";
import {
  IN_FIELD,
  OUT_FIELD,
  TOKENS_FIELD,
  checkPooling,
  connectorIoConfig,
  resolveConnectorIo,
  type ConnectorIoConfig,
} from "./connector-io.js";
import {
  DEPTH,
  NORM_EPS_FIELD,
  WIDTH,
  dflt,
  getBool,
  getInt,
  getNumber,
  inferred,
  readFields,
  sized,
} from "./fields.js";
import { LIMITS } from "./limits.js";
import type {
  ComponentKind,
  Config,
  FieldSpec,
  ParamCount,
  ResolveContext,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { BOTTLENECK, C_ABSTRACTOR, PARAM, dot } from "./weight-names.js";

/**
 * One block is timm's RegNet `Bottleneck` as Honeybee configures it (SiLU, LayerNorm over channels,
 * bottleneck ratio 1, group size 1, squeeze-excite ratio 0.25), for `cin` -> `c` channels:
 *   conv1 1x1 cin->c (no bias) + norm; conv2 3x3 depthwise c (no bias) + norm;
 *   squeeze-excite c -> round(cin / 4) -> c (1x1 convs with biases); conv3 1x1 c->c (no bias) + norm;
 *   shortcut 1x1 cin->c (no bias) + norm only when cin != c; SiLU after the sum.
 * Parameters: cin*c + 9c + 2*c*se + se + c + c*c + 6c (+ cin*c + 2c with the shortcut).
 */
export const SE_RATIO = 0.25;

const FIELDS: readonly FieldSpec[] = [
  TOKENS_FIELD,
  {
    name: "depth",
    doc: "bottleneck blocks in each of the two stages (0: average pooling plus the MLP)",
    type: sized(LIMITS.depth, 0),
    default: dflt(3),
  },
  {
    name: "hidden",
    doc: "width of the conv blocks (Honeybee: 1024 with the 1024-wide CLIP ViT-L)",
    type: WIDTH,
    default: inferred("`in`"),
  },
  {
    name: "mlp_depth",
    doc: "linear layers in the final MLP (SiLU between them)",
    type: DEPTH,
    default: dflt(2),
  },
  {
    name: "pos_embed",
    doc: "a learned positional embedding added to the patch tokens",
    type: { kind: "bool" },
    default: dflt(true),
  },
  NORM_EPS_FIELD,
  IN_FIELD,
  OUT_FIELD,
];

/** A resolved CAbstractor config, typed. */
export interface CAbstractorConfig extends ConnectorIoConfig {
  readonly tokens: number;
  readonly depth: number;
  readonly hidden: number;
  readonly mlpDepth: number;
  readonly posEmbed: boolean;
  /** The eps of the blocks' LayerNorms over channels (`norm_eps`; timm's LayerNorm2d uses 1e-6). */
  readonly normEps: number;
}

export function cAbstractorConfig(c: Config): CAbstractorConfig {
  return {
    ...connectorIoConfig(c),
    tokens: getInt(c, "tokens"),
    depth: getInt(c, "depth"),
    hidden: getInt(c, "hidden"),
    mlpDepth: getInt(c, "mlp_depth"),
    posEmbed: getBool(c, "pos_embed"),
    normEps: getNumber(c, "norm_eps"),
  };
}

/** A bottleneck block from `cin` to `c` channels has a 1x1 shortcut conv when they differ. */
export function hasShortcut(cin: number, c: number): boolean {
  return cin !== c;
}

/** Input channels of block `i` of a stage from `cin` to `c` channels. */
export function blockInput(i: number, cin: number, c: number): number {
  return i === 0 ? cin : c;
}

function resolve(config: Config, context: ResolveContext): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const io = resolveConnectorIo(fields, context);
  const tokens = fields["tokens"] as number;
  const pool = checkPooling(io.input, tokens, "CAbstractor");
  const found = [...io.problems, ...pool.problems];
  if (found.length > 0) return { ok: false, problems: found };
  const inferredFrom = { ...io.inferred };
  if (fields["hidden"] === undefined) {
    fields["hidden"] = fields["in"] as number;
    inferredFrom["hidden"] = "`in`";
  }
  return {
    ok: true,
    config: fields,
    output: { tokens, width: fields["out"] as number, grid: [pool.side, pool.side] },
    inferred: inferredFrom,
    assumed: io.assumed,
    warnings: [],
  };
}

/** Python's `round` (half to even), which timm uses for the squeeze-excite width. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function block(cin: number, c: number): WeightTensor[] {
  const se = roundHalfEven(cin * SE_RATIO);
  const B = BOTTLENECK;
  const { weight, bias } = PARAM;
  const out: WeightTensor[] = [
    matrix(dot(B.conv1, weight), [1, 1, cin, c]),
    ...norm(B.norm1, c, "layer"),
    matrix(dot(B.conv2, weight), [3, 3, c, 1]),
    ...norm(B.norm2, c, "layer"),
    matrix(dot(B.seFc1, weight), [1, 1, c, se]),
    zeros(dot(B.seFc1, bias), [se]),
    matrix(dot(B.seFc2, weight), [1, 1, se, c]),
    zeros(dot(B.seFc2, bias), [c]),
    matrix(dot(B.conv3, weight), [1, 1, c, c]),
    ...norm(B.norm3, c, "layer"),
  ];
  if (hasShortcut(cin, c))
    out.push(matrix(dot(B.shortcut, weight), [1, 1, cin, c]), ...norm(B.shortcutNorm, c, "layer"));
  return out;
}

/** Parameters of `block(cin, c)`: the sum in the comment on `SE_RATIO`. */
function blockParams(cin: number, c: number): number {
  const se = roundHalfEven(cin * SE_RATIO);
  return cin * c + 9 * c + 2 * c * se + se + c + c * c + 6 * c + (cin !== c ? cin * c + 2 * c : 0);
}

function stage(name: string, depth: number, cin: number, c: number): WeightTensor[] {
  const out: WeightTensor[] = [];
  for (let i = 0; i < depth; i++)
    out.push(...under(dot(name, C_ABSTRACTOR.block(i)), block(blockInput(i, cin, c), c)));
  return out;
}

/**
 * Tensors: `pos_embed` [grid tokens, in], `stage1.<i>.*` and `stage2.<i>.*` (blocks as above; conv
 * filters in tfjs layout [kh, kw, in, out], depthwise [3, 3, c, 1]), `readout.<j>` linears with
 * biases: [hidden, out] first ([in, out] when `depth` is 0), then [out, out].
 */
function manifest(c: Config): WeightTensor[] {
  const a = cAbstractorConfig(c);
  const out: WeightTensor[] = [];
  if (a.posEmbed) out.push({ ...matrix(C_ABSTRACTOR.posEmbed, [a.inTokens, a.in]), decay: false });
  // Concatenated, not spread into push(): 4096 blocks a stage would overflow the stack.
  const stages = stage(C_ABSTRACTOR.stage1, a.depth, a.in, a.hidden).concat(
    stage(C_ABSTRACTOR.stage2, a.depth, a.hidden, a.hidden),
  );
  for (const t of stages) out.push(t);
  const readIn = a.depth > 0 ? a.hidden : a.in;
  for (let j = 0; j < a.mlpDepth; j++)
    out.push(...linear(C_ABSTRACTOR.readout(j), j === 0 ? readIn : a.out, a.out, true));
  return out;
}

/** The parameters of `manifest(c)`: the first block of a stage may differ, the rest are alike. */
function params(c: Config): ParamCount {
  const inW = getInt(c, "in");
  const hidden = getInt(c, "hidden");
  const depth = getInt(c, "depth");
  const outW = getInt(c, "out");
  const stages = stagesCost(c, (_, cin, cout) => blockParams(cin, cout));
  const readIn = depth > 0 ? hidden : inW;
  const total =
    (getBool(c, "pos_embed") ? getInt(c, "in_tokens") * inW : 0) +
    stages +
    linearParams(readIn, outW, true) +
    (getInt(c, "mlp_depth") - 1) * linearParams(outW, outW, true);
  return { total, active: total };
}

function blockFlops(positions: number, cin: number, c: number): number {
  const se = roundHalfEven(cin * SE_RATIO);
  const perPosition =
    linearFlops(cin, c) + 2 * 9 * c + linearFlops(c, c) + (cin !== c ? linearFlops(cin, c) : 0);
  return positions * perPosition + linearFlops(c, se) + linearFlops(se, c);
}

function stagesCost(
  c: Config,
  each: (positions: number, cin: number, cout: number) => number,
): number {
  const depth = getInt(c, "depth");
  const hidden = getInt(c, "hidden");
  if (depth === 0) return 0;
  const before = getInt(c, "grid_h") * getInt(c, "grid_w");
  const after = getInt(c, "tokens");
  // Stage 1's first block reads `in`; every other block of both stages is hidden -> hidden.
  return (
    each(before, getInt(c, "in"), hidden) +
    (depth - 1) * each(before, hidden, hidden) +
    depth * each(after, hidden, hidden)
  );
}

/** Per image: both conv stages at their grid sizes, then the MLP on each output token. */
function flops(c: Config): number {
  const outW = getInt(c, "out");
  const readIn = getInt(c, "depth") > 0 ? getInt(c, "hidden") : getInt(c, "in");
  const mlp = linearFlops(readIn, outW) + (getInt(c, "mlp_depth") - 1) * linearFlops(outW, outW);
  return stagesCost(c, blockFlops) + getInt(c, "tokens") * mlp;
}

/** Per image: each block keeps its input and about six tensors of its width per position. */
function activations(c: Config): number {
  const outW = getInt(c, "out");
  const readIn = getInt(c, "depth") > 0 ? getInt(c, "hidden") : getInt(c, "in");
  const mlp = readIn + 2 * (getInt(c, "mlp_depth") - 1) * outW;
  const input = getInt(c, "grid_h") * getInt(c, "grid_w") * getInt(c, "in");
  return input + stagesCost(c, (n, cin, cout) => n * (cin + 6 * cout)) + getInt(c, "tokens") * mlp;
}

export const cAbstractor: ComponentKind = {
  name: "CAbstractor",
  role: "connector",
  doc: "Honeybee's C-Abstractor: conv blocks on the patch grid, adaptive average pooling to sqrt(`tokens`) x sqrt(`tokens`), more conv blocks, then an MLP into the language model width.",
  fields: FIELDS,
  resolve,
  manifest,
  params,
  costUnit: "image",
  flops,
  activations,
};
