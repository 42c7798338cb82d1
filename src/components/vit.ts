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
  type AttentionShape,
  type NormKind,
} from "./blocks.js";
import {
  ABSENT,
  DEPTH,
  HEADS,
  WIDTH,
  dflt,
  getBool,
  getInt,
  getMlp,
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
  ParamCount,
  Problem,
  ResolveResult,
  WeightTensor,
} from "./types.js";

/** The image a ViT preset is measured at when no model gives one (`componentSummary`). */
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
    doc: "MLP of each block: a plain integer is `gelu(N)`",
    type: { kind: "mlp", fns: ["gelu", "relu", "swiglu"], plain: "gelu", ...LIMITS.hidden },
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
];

interface VitShape {
  readonly channels: number;
  readonly imageHeight: number;
  readonly imageWidth: number;
  readonly patch: number;
  readonly width: number;
  readonly depth: number;
  readonly classToken: boolean;
  readonly grid: readonly [number, number];
  /** Tokens inside the transformer: grid plus the class token. */
  readonly seq: number;
  readonly attn: AttentionShape;
}

function shapeOf(c: Config): VitShape {
  const width = getInt(c, "width");
  const heads = getInt(c, "heads");
  const patch = getInt(c, "patch");
  const imageHeight = getInt(c, "image_height");
  const imageWidth = getInt(c, "image_width");
  const grid: [number, number] = [imageHeight / patch, imageWidth / patch];
  const classToken = getBool(c, "class_token");
  return {
    channels: getInt(c, "channels"),
    imageHeight,
    imageWidth,
    patch,
    width,
    depth: getInt(c, "depth"),
    classToken,
    grid,
    seq: grid[0] * grid[1] + (classToken ? 1 : 0),
    attn: {
      width,
      heads,
      kvHeads: heads,
      headDim: width / heads,
      qkvBias: getBool(c, "qkv_bias"),
      outBias: getBool(c, "bias"),
      qkNorm: "none",
      normKind: getWord(c, "norm", NORMS),
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
  let image = context.image;
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
  const s = shapeOf(c);
  const nk = s.attn.normKind;
  const mlp = getMlp(c, "mlp");
  const bias = getBool(c, "bias");
  const out: WeightTensor[] = [
    matrix("patch_embed.weight", [s.patch, s.patch, s.channels, s.width]),
  ];
  if (getBool(c, "patch_bias"))
    out.push({ name: "patch_embed.bias", shape: [s.width], init: "zeros", decay: false });
  if (s.classToken) out.push({ ...matrix("class_token", [s.width]), decay: false });
  out.push({ ...matrix("pos_embed", [s.seq, s.width]), decay: false });
  if (getBool(c, "pre_norm")) out.push(...norm("pre_norm", s.width, nk));
  for (let i = 0; i < s.depth; i++) {
    out.push(
      ...under(`layers.${i}`, [
        ...norm("attn_norm", s.width, nk),
        ...attentionTensors("attn", s.attn),
        ...norm("mlp_norm", s.width, nk),
        ...mlpTensors("mlp", s.width, mlp, bias),
      ]),
    );
  }
  if (getBool(c, "final_norm")) out.push(...norm("final_norm", s.width, nk));
  const classes = getOptInt(c, "classes");
  if (classes !== undefined) out.push(...linear("head", s.width, classes, bias));
  return out;
}

/** The parameters of `manifest(c)`, arithmetically: every block is the same. */
function params(c: Config): ParamCount {
  const s = shapeOf(c);
  const nk = s.attn.normKind;
  const bias = getBool(c, "bias");
  const block =
    2 * normParams(s.width, nk) +
    attentionParams(s.attn) +
    mlpParams(s.width, getMlp(c, "mlp"), bias);
  const classes = getOptInt(c, "classes");
  const total =
    s.patch * s.patch * s.channels * s.width +
    (getBool(c, "patch_bias") ? s.width : 0) +
    (s.classToken ? s.width : 0) +
    s.seq * s.width +
    (getBool(c, "pre_norm") ? normParams(s.width, nk) : 0) +
    s.depth * block +
    (getBool(c, "final_norm") ? normParams(s.width, nk) : 0) +
    (classes === undefined ? 0 : linearParams(s.width, classes, bias));
  return { total, active: total };
}

/** Forward FLOPs for one image: patch embedding, every block over all tokens, the head once. */
function flops(c: Config): number {
  const s = shapeOf(c);
  const mlp = getMlp(c, "mlp");
  const patches = s.grid[0] * s.grid[1];
  const embed = patches * linearFlops(s.channels * s.patch * s.patch, s.width);
  const block = attentionFlops(s.attn, s.seq) + mlpFlops(s.width, mlp);
  const classes = getOptInt(c, "classes");
  const head = classes === undefined ? 0 : linearFlops(s.width, classes);
  return embed + s.depth * s.seq * block + head;
}

/** Activation elements for one image: the pixels, the embeddings, and every block's tensors. */
function activations(c: Config): number {
  const s = shapeOf(c);
  const mlp = getMlp(c, "mlp");
  const perBlock = attentionActivations(s.attn, s.seq) + s.width + mlpActivations(s.width, mlp);
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
