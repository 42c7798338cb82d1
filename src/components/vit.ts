// ViT: the vision encoder kind (patch embedding, optional class token, learned positions,
// pre-norm transformer blocks, optional final norm and classification head).
// Knobs cover timm's ViT-B/16 (86,567,656 parameters with a 1000-class head) and CLIP towers.
import {
  attentionActivations,
  attentionFlops,
  attentionParams,
  attentionTensors,
  linear,
  linearFlops,
  linearParams,
  matrix,
  mlpActivations,
  mlpFlops,
  mlpParams,
  mlpTensors,
  norm,
  normParams,
  under,
  zeros,
  type AttentionShape,
  type NormKind,
} from "./blocks.js";
import {
  ABSENT,
  DEPTH,
  HEADS,
  NORM_EPS_FIELD,
  WIDTH,
  dflt,
  getBool,
  getInt,
  getMlp,
  getNumber,
  getOptImage,
  getOptInt,
  getWord,
  inferred,
  readFields,
  sized,
} from "./fields.js";
import { LIMITS } from "./limits.js";
import { headsProblem, problem } from "./problem.js";
import type {
  ComponentKind,
  Config,
  FieldSpec,
  MlpValue,
  ParamCount,
  Problem,
  ResolveResult,
  WeightTensor,
} from "./types.js";
import { BLOCK, PARAM, VIT, dot } from "./weight-names.js";

/** The image a ViT preset is measured at when neither a model nor its own `image` gives one. */
export const STAND_IN_IMAGE: readonly [number, number, number] = [3, 224, 224];

const NORMS: readonly NormKind[] = ["layer", "rms"];

const FIELDS: readonly FieldSpec[] = [
  {
    name: "patch",
    doc: "side of the square patches, in pixels",
    type: sized(LIMITS.patch),
    default: dflt(16),
  },
  { name: "width", doc: "width of the patch tokens", type: WIDTH, default: dflt(768) },
  { name: "depth", doc: "number of transformer blocks", type: DEPTH, default: dflt(12) },
  { name: "heads", doc: "attention heads per block", type: HEADS, default: dflt(12) },
  {
    name: "mlp",
    doc: "MLP of each block: a plain integer is `gelu(N)` (tanh GELU); OpenAI CLIP's towers use `quick_gelu(N)`, OpenCLIP's and timm's `gelu_exact(N)` (erf GELU)",
    type: {
      kind: "mlp",
      fns: ["gelu", "gelu_exact", "quick_gelu", "relu", "swiglu"],
      plain: "gelu",
      ...LIMITS.hidden,
    },
    default: inferred("`gelu(4 * width)`"),
  },
  {
    name: "class_token",
    doc: "prepend a learned class token",
    type: { kind: "bool" },
    default: dflt(true),
  },
  {
    name: "patch_bias",
    doc: "bias in the patch embedding",
    type: { kind: "bool" },
    default: dflt(true),
  },
  {
    name: "pre_norm",
    doc: "a norm after the embeddings, before the blocks (CLIP's `ln_pre`)",
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
    name: "classes",
    doc: "a classification head with this many classes on the class token (absent: no head)",
    type: sized(LIMITS.classes),
    default: ABSENT,
  },
  {
    name: "norm",
    doc: "norm kind: `layer` (with bias) or `rms`",
    type: { kind: "enum", words: NORMS },
    default: dflt("layer"),
  },
  NORM_EPS_FIELD,
  {
    name: "qkv_bias",
    doc: "biases in the query, key and value projections",
    type: { kind: "bool" },
    default: dflt(true),
  },
  {
    name: "bias",
    doc: "biases in the attention output, the MLP and the head",
    type: { kind: "bool" },
    default: dflt(true),
  },
  {
    name: "image",
    doc: "the image the encoder is built for, `Image[channels, height, width]`: a preset is measured at it; inside a model it must equal the model's `image` (absent: the model's, or 3x224x224 alone)",
    type: { kind: "image" },
    default: ABSENT,
  },
];

/**
 * A resolved ViT config, typed, with the image it reads (`channels`, `imageHeight`, `imageWidth`:
 * the model's `image`, or the stand-in) and what follows from it. The runtime layers take this.
 */
export interface VitConfig {
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlp: MlpValue;
  readonly classToken: boolean;
  readonly patchBias: boolean;
  readonly preNorm: boolean;
  readonly finalNorm: boolean;
  readonly classes?: number;
  readonly norm: NormKind;
  /** The eps of every norm (`norm_eps`). */
  readonly normEps: number;
  readonly qkvBias: boolean;
  /** Biases in the attention output, the MLP and the head (`bias`). */
  readonly bias: boolean;
  /** Context: the image, [channels, height, width]. */
  readonly channels: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  /** Derived: rows x columns of patches. */
  readonly grid: readonly [number, number];
  /** Derived: tokens inside the transformer: grid plus the class token. */
  readonly seq: number;
  /** Derived: the attention of every block. */
  readonly attention: AttentionShape;
}

/** Reads a config returned by `resolve` (`ok: true`) into its typed form. */
export function vitConfig(c: Config): VitConfig {
  const width = getInt(c, "width");
  const heads = getInt(c, "heads");
  const patch = getInt(c, "patch");
  const imageHeight = getInt(c, "image_height");
  const imageWidth = getInt(c, "image_width");
  const grid: [number, number] = [imageHeight / patch, imageWidth / patch];
  const classToken = getBool(c, "class_token");
  const norm = getWord(c, "norm", NORMS);
  const normEps = getNumber(c, "norm_eps");
  const qkvBias = getBool(c, "qkv_bias");
  const bias = getBool(c, "bias");
  const classes = getOptInt(c, "classes");
  return {
    patch,
    width,
    depth: getInt(c, "depth"),
    heads,
    mlp: getMlp(c, "mlp"),
    classToken,
    patchBias: getBool(c, "patch_bias"),
    preNorm: getBool(c, "pre_norm"),
    finalNorm: getBool(c, "final_norm"),
    ...(classes === undefined ? {} : { classes }),
    norm,
    normEps,
    qkvBias,
    bias,
    channels: getInt(c, "channels"),
    imageHeight,
    imageWidth,
    grid,
    seq: grid[0] * grid[1] + (classToken ? 1 : 0),
    attention: {
      width,
      heads,
      kvHeads: heads,
      headDim: width / heads,
      qkvBias,
      outBias: bias,
      qkNorm: "none",
      normKind: norm,
    },
  };
}

function resolve(
  config: Config,
  context: { image?: readonly [number, number, number] },
): ResolveResult {
  const { fields, problems } = readFields(FIELDS, config);
  if (problems.length > 0) return { ok: false, problems };
  const assumed: string[] = [];
  let image = context.image ?? getOptImage(fields, "image");
  if (image === undefined) {
    image = STAND_IN_IMAGE;
    assumed.push(`image ${image.join("x")} (no model image given)`);
  }
  const [channels, height, width] = image;
  const patch = fields["patch"] as number;
  const vitWidth = fields["width"] as number;
  const heads = fields["heads"] as number;
  const found: Problem[] = [];
  if (patch > height || patch > width) {
    found.push(
      problem(
        "MM2213",
        `\`patch\` ${patch} is larger than the image (${height}x${width})`,
        ["patch"],
        {
          related: ["image"],
          labels: { patch: `patch ${patch}`, image: `a ${height}x${width} image` },
          help: `use a patch that divides ${Math.min(height, width)}, e.g. \`patch: ${smallDivisor(Math.min(height, width))}\``,
        },
      ),
    );
  } else {
    for (const [side, size] of [
      ["height", height],
      ["width", width],
    ] as const) {
      if (size % patch !== 0) {
        const lower = Math.floor(size / patch) * patch;
        const upper = lower + patch;
        found.push(
          problem(
            "MM2201",
            `image ${side} ${size} is not divisible by \`patch\` ${patch}`,
            ["patch"],
            {
              related: ["image"],
              labels: { patch: `patch ${patch}`, image: `image ${side} ${size}` },
              notes: [`${size} / ${patch} = ${(size / patch).toFixed(2)} patches`],
              help: `make the image ${side} ${lower > 0 ? `${lower} or ` : ""}${upper}, or use a patch that divides ${size}`,
            },
          ),
        );
        break;
      }
    }
  }
  if (vitWidth % heads !== 0) found.push(headsProblem(vitWidth, heads, false));
  if (found.length > 0) return { ok: false, problems: found };

  const inferredFrom: Record<string, string> = {};
  if (fields["mlp"] === undefined) {
    fields["mlp"] = { fn: "gelu", hidden: 4 * vitWidth };
    inferredFrom["mlp"] = "`gelu(4 * width)`";
  }
  fields["channels"] = channels;
  fields["image_height"] = height;
  fields["image_width"] = width;
  const grid: [number, number] = [height / patch, width / patch];
  return {
    ok: true,
    config: fields,
    output: { tokens: grid[0] * grid[1], width: vitWidth, grid },
    inferred: inferredFrom,
    assumed,
    warnings: [],
  };
}

function smallDivisor(n: number): number {
  for (const d of [16, 14, 8, 4, 2]) if (n % d === 0) return d;
  return 1;
}

/**
 * Tensors: `patch_embed.weight` [patch, patch, channels, width] (+ bias), `class_token` [width],
 * `pos_embed` [grid tokens + class token, width], `pre_norm`, `layers.<i>.{attn_norm, attn.{q,k,v,o},
 * mlp_norm, mlp.{up,down}}`, `final_norm`, `head` [width, classes].
 */
function manifest(c: Config): WeightTensor[] {
  const s = vitConfig(c);
  const nk = s.norm;
  const out: WeightTensor[] = [
    matrix(dot(VIT.patchEmbed, PARAM.weight), [s.patch, s.patch, s.channels, s.width]),
  ];
  if (s.patchBias) out.push(zeros(dot(VIT.patchEmbed, PARAM.bias), [s.width]));
  if (s.classToken) out.push({ ...matrix(VIT.classToken, [s.width]), decay: false });
  out.push({ ...matrix(VIT.posEmbed, [s.seq, s.width]), decay: false });
  if (s.preNorm) out.push(...norm(VIT.preNorm, s.width, nk));
  for (let i = 0; i < s.depth; i++) {
    out.push(
      ...under(BLOCK.layer(i), [
        ...norm(BLOCK.attnNorm, s.width, nk),
        ...attentionTensors(BLOCK.attn, s.attention),
        ...norm(BLOCK.mlpNorm, s.width, nk),
        ...mlpTensors(BLOCK.mlp, s.width, s.mlp, s.bias),
      ]),
    );
  }
  if (s.finalNorm) out.push(...norm(VIT.finalNorm, s.width, nk));
  if (s.classes !== undefined) out.push(...linear(VIT.head, s.width, s.classes, s.bias));
  return out;
}

/** The parameters of `manifest(c)`, arithmetically: every block is the same. */
function params(c: Config): ParamCount {
  const s = vitConfig(c);
  const nk = s.norm;
  const block =
    2 * normParams(s.width, nk) + attentionParams(s.attention) + mlpParams(s.width, s.mlp, s.bias);
  const total =
    s.patch * s.patch * s.channels * s.width +
    (s.patchBias ? s.width : 0) +
    (s.classToken ? s.width : 0) +
    s.seq * s.width +
    (s.preNorm ? normParams(s.width, nk) : 0) +
    s.depth * block +
    (s.finalNorm ? normParams(s.width, nk) : 0) +
    (s.classes === undefined ? 0 : linearParams(s.width, s.classes, s.bias));
  return { total, active: total };
}

/** Forward FLOPs for one image: patch embedding, every block over all tokens, the head once. */
function flops(c: Config): number {
  const s = vitConfig(c);
  const patches = s.grid[0] * s.grid[1];
  const embed = patches * linearFlops(s.channels * s.patch * s.patch, s.width);
  const block = attentionFlops(s.attention, s.seq) + mlpFlops(s.width, s.mlp);
  const head = s.classes === undefined ? 0 : linearFlops(s.width, s.classes);
  return embed + s.depth * s.seq * block + head;
}

/** Activation elements for one image: the pixels, the embeddings, and every block's tensors. */
function activations(c: Config): number {
  const s = vitConfig(c);
  const perBlock =
    attentionActivations(s.attention, s.seq) + s.width + mlpActivations(s.width, s.mlp);
  return (
    s.channels * s.imageHeight * s.imageWidth + s.seq * (s.width + s.depth * perBlock + s.width)
  );
}

export const vit: ComponentKind = {
  name: "ViT",
  role: "encoder",
  doc: "Vision transformer: cuts the model's `image` into `patch` x `patch` patches and turns them into patch tokens of `width`. The class token, if any, is dropped before the connector.",
  fields: FIELDS,
  resolve: (config, context) => resolve(config, context),
  manifest,
  params,
  costUnit: "image",
  flops,
  activations,
};
