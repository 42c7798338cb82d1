// Field tables for hovers and completion. Component fields come from the kinds' own schemas
// (src/components/*.ts). The settings of `train`, `data`, `optimizer`, `schedule`, `checkpoint`
// and `eval` have no schema with docs yet: `blockFields` is the ONE function that reads what the
// checker has (its field names, e.g. TRAIN_FIELDS) plus the docs and defaults of
// docs/language.md; when src/spec/ lands with field tables, only this function changes.
import { QUANTITIES } from "../check/budget.js";
import { TRAIN_FIELDS } from "../check/train.js";
import { describeType } from "../components/fields.js";
import type { ComponentKind, ConfigValue, FieldSpec, FieldType } from "../components/types.js";

export interface FieldInfo {
  readonly name: string;
  readonly doc: string;
  /** In words: "an integer", "one of `rms`, `layer`". */
  readonly type: string;
  /** In words: "`16`", "inferred from `vision.width`", "none". */
  readonly default: string;
  readonly range?: string;
  /** Bare words the field accepts (for completion). */
  readonly words?: readonly string[];
  /** A nested component's kind (`moe: MoE { ... }`). */
  readonly component?: string;
}

export type Block =
  | "model"
  | "train"
  | "data"
  | "optimizer"
  | "schedule"
  | "checkpoint"
  | "eval"
  | "sweep"
  | "budget";

const MISSING_DOC = "(no documentation yet)";

type Doc = readonly [doc: string, type: string, dflt: string, words?: readonly string[]];

const TRAIN_DOCS: Readonly<Record<string, Doc>> = {
  model: [
    "the model to train, optionally with overrides: `Tiny { connector.tokens: 64 }`",
    "a model name",
    "required",
  ],
  data: ["the data mixture to train on", "a data name", "required"],
  steps: ["optimizer steps of the run", "a whole number, at least 1", "`1000`"],
  batch: ["sequences per step", "a whole number, at least 1", "`8`"],
  sequence: [
    "tokens per sequence, at most the model's `context`",
    "a whole number, at least 1",
    "the model's `context`",
  ],
  seed: ["seeds initialisation and the data order", "a whole number, at least 0", "`0`"],
  precision: [
    "number format for `train_memory` (the CPU runtimes train in fp32)",
    "`fp32`, `bf16` or `mixed`",
    "`fp32`",
    ["fp32", "bf16", "mixed"],
  ],
  optimizer: [
    "`AdamW { lr, betas, weight_decay, eps, clip }`, decoupled weight decay",
    "`AdamW { ... }`",
    "`AdamW { lr: 3e-4, betas: [0.9, 0.95], weight_decay: 0.1, eps: 1e-8, clip: 1.0 }`",
  ],
  schedule: [
    "the learning-rate schedule; `final` is a fraction of the peak",
    "`Cosine { warmup, final }`, `Linear { warmup, final }` or `Constant { warmup }`",
    "`Cosine { warmup: 0, final: 10% }`",
  ],
  checkpoint: [
    "where and how often checkpoints are written (relative to the `.mm` file)",
    '`{ every: N, dir: "path" }`',
    "the final weights only",
  ],
  eval: ["held-out evaluation", "`{ every: N, batches: N }`", "`{ every: 100, batches: 4 }`"],
  log_every: ["steps between log lines", "a whole number, at least 1", "`10`"],
};

const DATA_DOCS: Readonly<Record<string, Doc>> = {
  images_per_sequence: [
    "at most this many images packed into one training sequence",
    "a whole number, at least 0",
    "`1`",
  ],
  tokenizer: [
    '`bytes` (byte-level, no files) or `bpe("tokenizer.json")`',
    '`bytes` or `bpe("...")`',
    "`bytes`",
    ["bytes"],
  ],
  weighting: [
    "whether the weights count samples or tokens",
    "`samples` or `tokens`",
    "`samples`",
    ["samples", "tokens"],
  ],
  mix: [
    "the weights as a ratio, one part per source in order",
    "a ratio such as `45:45:10`",
    "none",
  ],
  heldout: [
    "a caption source for evaluation only, never trained on",
    'a caption source such as `webdataset("...")`',
    "none",
  ],
  synthesize: [
    "a folder where `mmc run` writes the synthetic starter corpus when it holds none",
    "a string",
    "none",
  ],
  roots: [
    "folders (relative to the `.mm` file or absolute) that image paths inside data files may also point into",
    "a list of strings",
    "none",
  ],
  resize: [
    "how images are resampled to the encoder's side; `bicubic` is Pillow's bicubic in CLIP's order (shortest edge, then centre crop), for pretrained CLIP encoders",
    "`auto`, `area`, `bilinear` or `bicubic`",
    "`auto`",
    ["auto", "area", "bilinear", "bicubic"],
  ],
};

const OPTIMIZER_DOCS: Readonly<Record<string, Doc>> = {
  lr: ["peak learning rate", "a number greater than 0, at most 10", "`3e-4`"],
  betas: ["AdamW's moment decay rates", "a list of two numbers in [0, 1)", "`[0.9, 0.95]`"],
  weight_decay: [
    "decoupled weight decay (matrices and embeddings only)",
    "a number, at least 0",
    "`0.1`",
  ],
  eps: ["AdamW's epsilon", "a number greater than 0", "`1e-8`"],
  clip: ["global gradient-norm clip; `0` turns clipping off", "a number, at least 0", "`1.0`"],
};

const SCHEDULE_DOCS: Readonly<Record<string, Doc>> = {
  warmup: [
    "steps of linear warm-up from 0 to the peak",
    "a whole number, at least 0, below `steps`",
    "`0`",
  ],
  final: [
    "the final learning rate as a fraction of the peak (`Cosine`, `Linear`)",
    "a number or percentage in [0, 1]",
    "`10%` (`Constant`: 100%)",
  ],
};

const CHECKPOINT_DOCS: Readonly<Record<string, Doc>> = {
  every: ["steps between checkpoints", "a whole number, at least 1", "`100`"],
  dir: ["the folder for checkpoints, relative to the `.mm` file", "a string", '`"runs/<train>"`'],
};

const EVAL_DOCS: Readonly<Record<string, Doc>> = {
  every: ["steps between held-out evaluations", "a whole number, at least 1", "`100`"],
  batches: ["held-out batches per evaluation", "a whole number, at least 1", "`4`"],
};

const MODEL_DOCS: Readonly<Record<string, Doc>> = {
  image: [
    "the input image: channels, height, width",
    "`Image[C, H, W]`",
    "none (a text-only model)",
  ],
  tiles: [
    "high-resolution sub-images: each image becomes an overview and a grid of `image`-sized crops",
    '`{ grids: ["1x1", "2x2", "1x2", "2x1"], overview: true }`',
    "none (one centred square crop per image)",
  ],
  vision: ["the image encoder", "an `encoder`: `ViT { ... }` or a preset", "none"],
  connector: [
    "turns the encoder's patch tokens into image tokens of the language model's width",
    "a `connector`: `CAbstractor`, `AvgPool`, `AttnPool`, `MLPProjector` or a preset",
    "none",
  ],
  llm: ["the language model", "an `llm`: `Decoder { ... }` or a preset", "required"],
};

const SWEEP_DOCS: Readonly<Record<string, Doc>> = {
  base: [
    "the `train` every grid point starts from, optionally with overrides",
    "a train name",
    "required",
  ],
  report: ["metrics the sweep's report shows", "a list of metric words", "`[loss]`"],
};

const QUANTITY_DOCS: Readonly<Record<string, string>> = {
  params: "unique trainable parameters (tied tensors once), whole model",
  active_params:
    "parameters one token uses: everything except the routed experts it was not sent to",
  "params.vision": "parameters of the vision encoder",
  "params.connector": "parameters of the connector",
  "params.llm": "parameters of the language model",
  image_tokens: "tokens one image becomes after the connector",
  flops_per_token:
    "forward FLOPs for one text token at full context (a multiply-add is 2 FLOPs; training is about 3x)",
  train_memory:
    "bytes for weights, gradients, AdamW state and activations of one step, for every `train` that uses the model",
};

function table(names: readonly string[], docs: Readonly<Record<string, Doc>>): FieldInfo[] {
  return names.map((name) => {
    const d = docs[name];
    return {
      name,
      doc: d?.[0] ?? MISSING_DOC,
      type: d?.[1] ?? "",
      default: d?.[2] ?? "",
      ...(d?.[3] ? { words: d[3] } : {}),
    };
  });
}

/** The fields of a block that is not a component (the adapter to switch to src/spec/ later). */
export function blockFields(block: Block, variant?: string): readonly FieldInfo[] {
  switch (block) {
    case "train":
      return table(TRAIN_FIELDS, TRAIN_DOCS);
    case "data":
      return table(Object.keys(DATA_DOCS), DATA_DOCS);
    case "optimizer":
      return table(Object.keys(OPTIMIZER_DOCS), OPTIMIZER_DOCS);
    case "schedule":
      return table(variant === "Constant" ? ["warmup"] : ["warmup", "final"], SCHEDULE_DOCS);
    case "checkpoint":
      return table(Object.keys(CHECKPOINT_DOCS), CHECKPOINT_DOCS);
    case "eval":
      return table(Object.keys(EVAL_DOCS), EVAL_DOCS);
    case "model":
      return table(Object.keys(MODEL_DOCS), MODEL_DOCS);
    case "sweep":
      return table(Object.keys(SWEEP_DOCS), SWEEP_DOCS);
    case "budget":
      return QUANTITIES.map((q) => ({
        name: q,
        doc: QUANTITY_DOCS[q] ?? MISSING_DOC,
        type: q === "train_memory" ? "a byte size such as `80GiB`" : "a count such as `7B`",
        default: "",
      }));
  }
}

/** A component kind's fields as the kind's schema gives them. */
export function componentFields(kind: ComponentKind): readonly FieldInfo[] {
  return kind.fields.map(componentField);
}

export function componentField(spec: FieldSpec): FieldInfo {
  const range = rangeOf(spec.type);
  const words = wordsOf(spec.type);
  return {
    name: spec.name,
    doc: spec.doc,
    type: describeType(spec.type),
    default:
      spec.default.kind === "value"
        ? `\`${showValue(spec.default.value)}\``
        : spec.default.kind === "inferred"
          ? `inferred from ${spec.default.from}`
          : "none (leaving it out turns it off)",
    ...(range ? { range } : {}),
    ...(words.length ? { words } : {}),
    ...(spec.type.kind === "component" ? { component: spec.type.component } : {}),
  };
}

function wordsOf(t: FieldType): readonly string[] {
  if (t.kind === "enum") return t.words;
  if (t.kind === "int") return t.words ?? [];
  if (t.kind === "mlp") return t.fns;
  if (t.kind === "bool") return ["true", "false"];
  return [];
}

function rangeOf(t: FieldType): string | undefined {
  if (t.kind !== "int" && t.kind !== "number") return undefined;
  const lo =
    t.kind === "number" && t.exclusiveMin !== undefined
      ? `> ${t.exclusiveMin}`
      : t.min !== undefined
        ? `≥ ${t.min}`
        : undefined;
  const hi = t.max !== undefined ? `≤ ${t.max}` : undefined;
  return [lo, hi].filter(Boolean).join(", ") || undefined;
}

/** A config value written the way a `.mm` file writes it: `swiglu(344)`, `[0.9, 0.95]`, `rms`. */
export function showValue(v: ConfigValue): string {
  if (typeof v === "number")
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "boolean" || typeof v === "string") return String(v);
  if (Array.isArray(v)) return `[${(v as readonly ConfigValue[]).map(showValue).join(", ")}]`;
  const o = v as Readonly<Record<string, ConfigValue>>;
  if (typeof o["fn"] === "string" && typeof o["hidden"] === "number" && Object.keys(o).length === 2)
    return `${o["fn"]}(${o["hidden"]})`;
  return `{ ${Object.entries(o)
    .map(([k, x]) => `${k}: ${showValue(x)}`)
    .join(", ")} }`;
}
