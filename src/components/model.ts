// A whole model composed from its parts: image -> vision encoder -> connector -> language model.
// Resolves each part with its neighbours, checks the composition rules, and gives the numbers
// `mmc info` and budgets use: shapes, parameters (total, active, per part), FLOPs, training memory.
import { under } from "./blocks.js";
import { configKey, Memo } from "./config-memo.js";
import { tooManyParams } from "./counting.js";
import { problem } from "./problem.js";
import { componentKind } from "./registry.js";
import { LIMITS, limitText } from "./limits.js";
import { gridText, maxCrops, maxPasses, type TilesConfig } from "./tiles.js";
import type {
  ComponentKind,
  Config,
  Problem,
  ResolveContext,
  ResolveOk,
  TokenShape,
  WeightTensor,
} from "./types.js";

/** One part of a model: the kind's name (`ViT`, `CAbstractor`, `Decoder`, ...) and its fields. */
export interface PartInput {
  readonly kind: string;
  readonly config: Config;
}

export interface ModelInput {
  /** The model's `image: Image[C, H, W]`; absent for text-only models. */
  readonly image?: readonly [number, number, number];
  readonly vision?: PartInput;
  readonly connector?: PartInput;
  readonly llm: PartInput;
  /** Images in one training sequence (from the data mixture); default 1 with an image, else 0. */
  readonly imagesPerSequence?: number;
  /** High-resolution sub-images (tiles.ts): each image is crops of `image` plus an overview. */
  readonly tiles?: TilesConfig;
}

export type PartName = "vision" | "connector" | "llm";

export interface PartSummary {
  readonly part: PartName;
  readonly kind: string;
  readonly config: Config;
  /** vision: patch tokens x width (class token dropped); connector: image tokens x LLM width; llm: context x vocab. */
  readonly output: TokenShape;
  readonly params: number;
  readonly activeParams: number;
  /** Forward FLOPs per `flopsUnit`: per image for vision and connector, per token for the llm. */
  readonly flops: number;
  readonly flopsUnit: "image" | "token";
  readonly inferred: Readonly<Record<string, string>>;
  /** Tensors with names prefixed by the part (`llm.layers.0.attn.q.weight`); built on first read. */
  readonly manifest: readonly WeightTensor[];
}

export type Precision = "fp32" | "bf16" | "mixed";

export interface TrainMemoryOptions {
  readonly batch: number;
  readonly sequence: number;
  /** Default `fp32`. */
  readonly precision?: Precision;
  /** Parameters that train (a train's `freeze` leaves the rest out); default all of them. */
  readonly trainable?: number;
}

export interface TrainMemory {
  readonly precision: Precision;
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  /** Bytes in all. */
  readonly total: number;
}

export interface ModelSummary {
  readonly ok: true;
  readonly parts: {
    readonly vision?: PartSummary;
    readonly connector?: PartSummary;
    readonly llm: PartSummary;
  };
  /** Unique trainable parameters, tied tensors once. */
  readonly params: number;
  /** Parameters one token uses: all but the routed experts it was not sent to. */
  readonly activeParams: number;
  /**
   * Tokens one image becomes after the connector (0 for text-only models). With `tiles`, the most
   * an image can take: (the largest grid's crops + the overview) x `tokensPerCrop`.
   */
  readonly imageTokens: number;
  /** Tokens one encoder input (a crop, or the whole untiled image) becomes after the connector. */
  readonly tokensPerCrop: number;
  /** Encoder and connector passes one image takes at most: 1 untiled, crops + overview tiled, 0 text-only. */
  readonly encoderPasses: number;
  readonly imagesPerSequence: number;
  /** Forward FLOPs for one text token at full context (the llm's; training is about 3x). */
  readonly flopsPerToken: number;
  /** Forward FLOPs to turn one image into image tokens (vision + connector, times `encoderPasses`). */
  readonly flopsPerImage: number;
  /** Every part's tensors, in part order; built on first read (the runtime needs it, checking does not). */
  readonly manifest: readonly WeightTensor[];
  readonly warnings: readonly Problem[];
  trainMemory(options: TrainMemoryOptions): TrainMemory;
}

export type ModelResult =
  ModelSummary | { readonly ok: false; readonly problems: readonly Problem[] };

const MODEL_PATH = /^(image|images_per_sequence|tiles|vision|connector|llm)(\.|$)/;

/** Move a part's problem to model paths: fields get the part prefix; related paths already at model level stay. */
function atModelLevel(part: PartName, p: Problem): Problem {
  const fields = p.fields.length === 0 ? [part] : p.fields.map((f) => `${part}.${f}`);
  const lift = (r: string) => (MODEL_PATH.test(r) ? r : `${part}.${r}`);
  const related = p.related?.map(lift);
  const labels =
    p.labels === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(p.labels).map(([k, v]) => [
            p.fields.includes(k) ? `${part}.${k}` : lift(k),
            v,
          ]),
        );
  return {
    ...p,
    fields,
    ...(related === undefined ? {} : { related }),
    ...(labels === undefined ? {} : { labels }),
  };
}

const ROLE_OF: Record<PartName, ComponentKind["role"]> = {
  vision: "encoder",
  connector: "connector",
  llm: "llm",
};
const ROLE_WORD: Record<PartName, string> = {
  vision: "a vision encoder",
  connector: "a connector",
  llm: "a language model",
};

function kindFor(part: PartName, input: PartInput, problems: Problem[]): ComponentKind | undefined {
  const kind = componentKind(input.kind);
  if (kind === undefined || kind.role !== ROLE_OF[part]) {
    problems.push(
      problem("MM2009", `\`${part}\` must be ${ROLE_WORD[part]}, not \`${input.kind}\``, [part], {
        help:
          part === "vision"
            ? "use `ViT { ... }`"
            : part === "connector"
              ? "use `CAbstractor`, `AvgPool`, `AttnPool` or `MLPProjector`"
              : "use `Decoder { ... }`",
      }),
    );
    return undefined;
  }
  return kind;
}

/** The costly, config-determined half of a part's summary (see config-memo.ts). */
const counted = new Memo<Pick<PartSummary, "params" | "activeParams" | "flops" | "manifest">>(256);

function summarise(part: PartName, kind: ComponentKind, r: ResolveOk): PartSummary {
  const costs = counted.get(`${part}\0${kind.name}\0${configKey(r.config)}`, () => {
    const counts = kind.params(r.config);
    let manifest: readonly WeightTensor[] | undefined;
    return {
      params: counts.total,
      activeParams: counts.active,
      flops: kind.flops(r.config),
      // Built on first read: checking never reads it, the runtime does.
      get manifest() {
        return (manifest ??= under(part, kind.manifest(r.config)));
      },
    };
  });
  return {
    part,
    kind: kind.name,
    config: r.config,
    output: r.output,
    params: costs.params,
    activeParams: costs.activeParams,
    flops: costs.flops,
    flopsUnit: kind.costUnit,
    inferred: r.inferred,
    get manifest() {
      return costs.manifest;
    },
  };
}

function checkVisionPath(input: ModelInput, problems: Problem[]): void {
  const has = {
    image: input.image !== undefined,
    vision: input.vision !== undefined,
    connector: input.connector !== undefined,
  };
  if (!has.vision && !has.connector && !has.image) return;
  if (has.vision && !has.image) {
    problems.push(
      problem("MM2011", "the model has a `vision` encoder but no `image`", ["vision"], {
        help: "add `image: Image[3, 224, 224]` (channels, height, width)",
      }),
    );
  }
  if (has.vision && !has.connector) {
    problems.push(
      problem("MM2214", "the model has a `vision` encoder but no `connector`", ["vision"], {
        help: "add `connector: CAbstractor { tokens: 144 }`",
      }),
    );
  }
  if (has.connector && !has.vision) {
    problems.push(
      problem("MM2214", "the model has a `connector` but no `vision` encoder", ["connector"], {
        help: "add `vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }`",
      }),
    );
  }
  if (has.image && !has.vision && !has.connector) {
    problems.push(
      problem(
        "MM2214",
        "the model has an `image` but no `vision` encoder or `connector`",
        ["image"],
        {
          help: "add `vision` and `connector`, or remove `image` for a text-only model",
        },
      ),
    );
  }
}

/** Resolve and check a whole model. Parts that depend on a broken part are skipped (one mistake, one error). */
export function composeModel(input: ModelInput): ModelResult {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  checkVisionPath(input, problems);

  const resolvePart = (part: PartName, p: PartInput, context: ResolveContext) => {
    const kind = kindFor(part, p, problems);
    if (kind === undefined) return undefined;
    const r = kind.resolve(p.config, context);
    if (!r.ok) {
      problems.push(...r.problems.map((x) => atModelLevel(part, x)));
      return undefined;
    }
    warnings.push(...r.warnings.map((x) => atModelLevel(part, x)));
    return summarise(part, kind, r);
  };

  const llm = resolvePart("llm", input.llm, {});
  let vision: PartSummary | undefined;
  let connector: PartSummary | undefined;
  if (input.vision !== undefined && input.image !== undefined) {
    vision = resolvePart("vision", input.vision, { image: input.image });
  }
  if (input.connector !== undefined && vision !== undefined) {
    connector = resolvePart("connector", input.connector, {
      input: vision.output,
      ...(llm === undefined ? {} : { llmWidth: llm.config["width"] as number }),
    });
  }
  const multimodal = input.image !== undefined;
  checkTiles(input, problems);
  const tokensPerCrop = connector?.output.tokens ?? 0;
  const passes = input.tiles !== undefined && multimodal ? maxPasses(input.tiles) : 1;
  const imageTokens = tokensPerCrop * passes;
  const imagesPerSequence = input.imagesPerSequence ?? (multimodal ? 1 : 0);
  if (llm !== undefined && connector !== undefined && imagesPerSequence > 0) {
    const context = llm.config["context"] as number;
    const used = imagesPerSequence * imageTokens;
    // MLPProjector has no `tokens` field: its count comes from the encoder.
    const tokensPath = connector.kind === "MLPProjector" ? "connector" : "connector.tokens";
    if (used >= context) {
      const tiled = input.tiles
        ? [
            `a tiled image takes up to ${maxCrops(input.tiles)} crops${input.tiles.overview ? " and an overview" : ""} of ${tokensPerCrop} tokens each`,
          ]
        : [];
      problems.push(
        problem(
          "MM2212",
          imagesPerSequence === 1
            ? `one image of ${imageTokens} tokens does not fit the context of ${context} with room for text`
            : `${imagesPerSequence} images of ${imageTokens} tokens (${used}) do not fit the context of ${context} with room for text`,
          ["images_per_sequence"],
          {
            related: [tokensPath, "llm.context", ...(input.tiles ? ["tiles"] : [])],
            labels: {
              [tokensPath]: `${tokensPerCrop} tokens per ${input.tiles ? "crop" : "image"}`,
              "llm.context": `a context of ${context} tokens`,
              ...(input.tiles
                ? {
                    tiles: `up to ${maxCrops(input.tiles)} crops${input.tiles.overview ? " and an overview" : ""} per image`,
                  }
                : {}),
            },
            notes: tiled,
            help:
              Math.floor((context - 1) / imageTokens) >= 1
                ? `use at most ${Math.floor((context - 1) / imageTokens)} images per sequence, fewer \`tokens\`${input.tiles ? ", smaller grids" : ""}, or a longer \`context\``
                : `use fewer connector \`tokens\`${input.tiles ? " or smaller grids" : ""} (below ${context}${input.tiles ? " per image" : ""}), or a \`context\` longer than ${imageTokens}`,
          },
        ),
      );
    }
  }
  if (problems.length > 0 || llm === undefined) return { ok: false, problems };
  if (multimodal && (vision === undefined || connector === undefined))
    return { ok: false, problems };
  const parts = [vision, connector, llm].filter((p): p is PartSummary => p !== undefined);
  const largest = parts.reduce((a, p) => (p.params > a.params ? p : a));
  const total = parts.reduce((a, p) => a + p.params, 0);
  const tooMany = tooManyParams(total, "the model", [largest.part]);
  if (tooMany.length > 0) return { ok: false, problems: tooMany };
  return buildSummary(
    input,
    { vision, connector, llm },
    { imageTokens, tokensPerCrop, passes: multimodal ? passes : 0 },
    imagesPerSequence,
    warnings,
  );
}

/** `tiles` needs an image side to crop at: a multimodal model with a square `image`. */
function checkTiles(input: ModelInput, problems: Problem[]): void {
  if (input.tiles === undefined) return;
  if (input.image === undefined) {
    problems.push(
      problem("MM4022", "`tiles` needs an `image` to cut crops of", ["tiles"], {
        help: "add `image: Image[3, 336, 336]` (the crop size) with `vision` and `connector`, or remove `tiles`",
      }),
    );
    return;
  }
  const [, h, w] = input.image;
  for (const g of input.tiles.grids) {
    const longest = Math.max(g.cols, g.rows) * h;
    if (longest > LIMITS.imageSide.max)
      problems.push(
        problem(
          "MM4023",
          `the grid \`${gridText(g)}\` of ${h} px crops is ${limitText(longest)} px on its long side, more than ${limitText(LIMITS.imageSide.max)}, the most mmc accepts (${LIMITS.imageSide.why})`,
          ["tiles"],
          { related: ["image"], help: "use a smaller grid or a smaller `image` (the crop size)" },
        ),
      );
  }
  if (h !== w)
    problems.push(
      problem(
        "MM4022",
        `\`tiles\` needs a square \`image\` (the crop size), not ${h}x${w}`,
        ["tiles"],
        {
          related: ["image"],
          labels: { image: `${h} high, ${w} wide` },
          help: `write \`image: Image[${input.image[0]}, ${Math.max(h, w)}, ${Math.max(h, w)}]\``,
        },
      ),
    );
}

function buildSummary(
  input: ModelInput,
  parts: { vision?: PartSummary; connector?: PartSummary; llm: PartSummary },
  image: { imageTokens: number; tokensPerCrop: number; passes: number },
  imagesPerSequence: number,
  warnings: Problem[],
): ModelSummary {
  const list = [parts.vision, parts.connector, parts.llm].filter(
    (p): p is PartSummary => p !== undefined,
  );
  const params = list.reduce((a, p) => a + p.params, 0);
  const active = list.reduce((a, p) => a + p.activeParams, 0);
  const flopsPerImage =
    ((parts.vision?.flops ?? 0) + (parts.connector?.flops ?? 0)) * Math.max(1, image.passes);
  let manifest: readonly WeightTensor[] | undefined;
  return {
    ok: true,
    parts,
    params,
    activeParams: active,
    imageTokens: image.imageTokens,
    tokensPerCrop: image.tokensPerCrop,
    encoderPasses: image.passes,
    imagesPerSequence,
    flopsPerToken: parts.llm.flops,
    flopsPerImage,
    get manifest() {
      return (manifest ??= list.flatMap((p) => p.manifest));
    },
    warnings,
    trainMemory: (options) =>
      trainMemory(input, parts, params, imagesPerSequence * Math.max(1, image.passes), options),
  };
}

/** Bytes per parameter for weights, gradients and AdamW's two moments, and per activation element. */
export const PRECISION_BYTES: Readonly<
  Record<Precision, { weights: number; gradients: number; optimizer: number; activation: number }>
> = {
  fp32: { weights: 4, gradients: 4, optimizer: 8, activation: 4 },
  bf16: { weights: 2, gradients: 2, optimizer: 4, activation: 2 },
  // bf16 weights and gradients, fp32 master weights and moments (counted as optimizer state).
  mixed: { weights: 2, gradients: 2, optimizer: 12, activation: 2 },
};

/**
 * Training memory of one step, in bytes:
 *   weights    = params x bytes(weights)
 *   gradients  = trainable params x bytes(gradients)
 *   optimizer  = trainable params x bytes(AdamW m and v, plus fp32 master weights in `mixed`)
 *   activations = batch x (sequence x llm activations per token at that sequence length
 *                 + images_per_sequence x passes x (vision + connector activations per pass)) x bytes(activation)
 * where passes is 1, or with `tiles` the largest grid's crops plus the overview.
 * Every parameter trains unless the train freezes it (`freeze`), routed experts included. Activations
 * are counted for the whole model either way (frozen parts still run forward). They assume
 * no recomputation and stored attention probabilities (see `ComponentKind.activations`).
 */
function trainMemory(
  input: ModelInput,
  parts: { vision?: PartSummary; connector?: PartSummary; llm: PartSummary },
  params: number,
  imagesPerSequence: number,
  options: TrainMemoryOptions,
): TrainMemory {
  const precision = options.precision ?? "fp32";
  const bytes = PRECISION_BYTES[precision];
  const kindOf = (p: PartSummary) => componentKind(p.kind) as ComponentKind;
  const llmActs = kindOf(parts.llm).activations(parts.llm.config, { sequence: options.sequence });
  let perImage = 0;
  for (const p of [parts.vision, parts.connector])
    if (p) perImage += kindOf(p).activations(p.config);
  const elements =
    options.batch * (options.sequence * llmActs + (input.image ? imagesPerSequence : 0) * perImage);
  const weights = params * bytes.weights;
  // Frozen tensors get no gradient and no AdamW state (nor, in `mixed`, a master copy).
  const trainable = options.trainable ?? params;
  const gradients = trainable * bytes.gradients;
  const optimizer = trainable * bytes.optimizer;
  const activations = elements * bytes.activation;
  return {
    precision,
    weights,
    gradients,
    optimizer,
    activations,
    total: weights + gradients + optimizer + activations,
  };
}
