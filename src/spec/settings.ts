// The field tables of the settings blocks: `train`, its `optimizer`, `schedule`, `checkpoint`
// and `eval` (with the benchmark tasks inside `eval`), and the settings of `data` (a data block's
// other fields are its sources). Each field once: its doc, type, range and default. The checker
// reads values through these (src/check/block.ts), the language server shows them, and
// docs/language.md's settings reference is checked against them (test/spec/settings-doc.test.ts).
import { LIMITS } from "../components/limits.js";
import { MAX_DEVICES } from "./devices.js";
import type { FieldTable, SettingsBlock } from "./fields.js";

export const TRAIN_SETTINGS: FieldTable = [
  {
    name: "model",
    doc: "the model to train, optionally with overrides: `Tiny { connector.tokens: 64 }`",
    type: { kind: "ref", of: "model" },
    default: { kind: "required" },
  },
  {
    name: "data",
    doc: "the data mixture to train on",
    type: { kind: "ref", of: "data" },
    default: { kind: "required" },
  },
  {
    name: "steps",
    doc: "optimizer steps of the run",
    type: { kind: "int", min: 1, limit: LIMITS.steps },
    default: { kind: "value", value: 1000 },
  },
  {
    name: "batch",
    doc: "sequences per step",
    type: { kind: "int", min: 1, limit: LIMITS.batch },
    default: { kind: "value", value: 8 },
  },
  {
    name: "sequence",
    doc: "tokens per sequence, at most the model's `context`",
    type: { kind: "int", min: 1, limit: LIMITS.context },
    default: { kind: "derived", from: "the model's `context`" },
  },
  {
    name: "seed",
    doc: "seeds initialisation and the data order",
    type: { kind: "int", min: 0, limit: LIMITS.seed },
    default: { kind: "value", value: 0 },
  },
  {
    name: "precision",
    doc: "number format for `train_memory` (the CPU runtimes train in fp32)",
    type: { kind: "word", words: ["fp32", "bf16", "mixed"] },
    default: { kind: "value", value: "fp32" },
    hints: {
      fp16: "fp16 training is not supported: write `precision: bf16`, or `precision: mixed` (bf16 with fp32 master weights)",
    },
  },
  {
    name: "devices",
    doc: "devices the batch is split over, for `train_memory_per_device` (weights, gradients and AdamW state sharded, `batch / devices` sequences of activations each); `batch` must split evenly (MM5020). The TypeScript runtime trains on one device; the PyTorch target's `--nproc` sets the real count",
    type: { kind: "int", min: 1, limit: MAX_DEVICES },
    default: { kind: "value", value: 1 },
  },
  {
    name: "optimizer",
    doc: "`AdamW { lr, betas, weight_decay, eps, clip }`, decoupled weight decay",
    type: { kind: "block", block: "optimizer" },
    default: {
      kind: "derived",
      from: "`AdamW { lr: 3e-4, betas: [0.9, 0.95], weight_decay: 0.1, eps: 1e-8, clip: 1.0 }`",
    },
  },
  {
    name: "schedule",
    doc: "the learning-rate schedule: `Cosine { warmup, final }`, `Linear { warmup, final }` or `Constant { warmup }`; `final` is a fraction of the peak",
    type: { kind: "block", block: "schedule" },
    default: { kind: "derived", from: "`Cosine { warmup: 0, final: 10% }`" },
  },
  {
    name: "checkpoint",
    doc: 'where and how often checkpoints are written (relative to the `.mm` file): `{ every: N, dir: "path", keep: N }`',
    type: { kind: "block", block: "checkpoint" },
    default: { kind: "none", means: "the final weights only, in `runs/<train>`" },
  },
  {
    name: "eval",
    doc: "held-out evaluation `{ every: N, batches: N }`, and benchmark tasks (`captioning`, `vqa`)",
    type: { kind: "block", block: "eval" },
    default: { kind: "derived", from: "`{ every: 100, batches: 4 }`" },
  },
  {
    name: "log_every",
    doc: "steps between log lines",
    type: { kind: "int", min: 1, limit: LIMITS.steps },
    default: { kind: "value", value: 10 },
  },
  {
    name: "freeze",
    doc: "parts (`vision`) or tensor paths (`llm.embed`) that take no gradient and no AdamW state",
    type: {
      kind: "special",
      shape: 'a list of part names or paths such as `[vision, "llm.embed"]`',
    },
    default: { kind: "none", means: "none (everything trains)" },
  },
  {
    name: "init",
    doc: "an earlier `train` whose newest checkpoint gives this one its first weights",
    type: { kind: "ref", of: "train" },
    default: { kind: "none", means: "none (fresh initialisation)" },
  },
];

export const OPTIMIZER_SETTINGS: FieldTable = [
  {
    name: "lr",
    doc: "peak learning rate",
    type: { kind: "number", exclusiveMin: 0, max: 10 },
    default: { kind: "value", value: 3e-4 },
  },
  {
    name: "betas",
    doc: "AdamW's moment decay rates",
    type: { kind: "special", shape: "a list of two numbers, each at least 0 and below 1" },
    default: { kind: "derived", from: "`[0.9, 0.95]`" },
  },
  {
    name: "weight_decay",
    doc: "decoupled weight decay (matrices and embeddings only)",
    type: { kind: "number", min: 0 },
    default: { kind: "value", value: 0.1 },
  },
  {
    name: "eps",
    doc: "AdamW's epsilon",
    type: { kind: "number", exclusiveMin: 0 },
    default: { kind: "value", value: 1e-8 },
  },
  {
    name: "clip",
    doc: "global gradient-norm clip; `0` turns clipping off",
    type: { kind: "number", min: 0 },
    default: { kind: "value", value: 1.0 },
  },
];

/** Each beta is below 1 (AdamW divides by 1 - beta^t). */
export const BETA_MAX = 0.999999;
export const DEFAULT_BETAS: readonly [number, number] = [0.9, 0.95];

export const SCHEDULE_SETTINGS: FieldTable = [
  {
    name: "warmup",
    doc: "steps of linear warm-up from 0 to the peak; shorter than `steps`",
    type: { kind: "int", min: 0, limit: LIMITS.steps },
    default: { kind: "value", value: 0 },
  },
  {
    name: "final",
    doc: "the final learning rate as a fraction of the peak (`Cosine` and `Linear`; `Constant` stays at the peak)",
    type: { kind: "number", min: 0, max: 1, percent: true },
    default: { kind: "value", value: 0.1 },
  },
];

/** The schedules, by the name a spec writes, and the fields each takes. */
export const SCHEDULE_KINDS = {
  Cosine: { kind: "cosine", fields: ["warmup", "final"] },
  Linear: { kind: "linear", fields: ["warmup", "final"] },
  Constant: { kind: "constant", fields: ["warmup"] },
} as const;

export const CHECKPOINT_SETTINGS: FieldTable = [
  {
    name: "every",
    doc: "steps between checkpoints",
    type: { kind: "int", min: 1, limit: LIMITS.steps },
    default: { kind: "value", value: 100 },
  },
  {
    name: "dir",
    doc: "the folder for checkpoints and the run's `metrics.jsonl`, relative to the `.mm` file",
    type: { kind: "string", path: true },
    default: { kind: "derived", from: '`"runs/<train>"`' },
  },
  {
    name: "keep",
    doc: "how many of the newest checkpoints are kept",
    type: { kind: "int", min: 1 },
    default: { kind: "value", value: 3 },
  },
];

export const EVAL_SETTINGS: FieldTable = [
  {
    name: "every",
    doc: "steps between held-out evaluations",
    type: { kind: "int", min: 1, limit: LIMITS.steps },
    default: { kind: "value", value: 100 },
  },
  {
    name: "batches",
    doc: "held-out batches per evaluation",
    type: { kind: "int", min: 1, limit: LIMITS.evalBatches },
    default: { kind: "value", value: 4 },
  },
  {
    name: "captioning",
    doc: "a few-shot captioning task scored with CIDEr-D (docs/eval.md)",
    type: { kind: "block", block: "captioning" },
    default: { kind: "none", means: "none" },
  },
  {
    name: "vqa",
    doc: "a few-shot VQA task scored with VQAv2 accuracy (docs/eval.md)",
    type: { kind: "block", block: "vqa" },
    default: { kind: "none", means: "none" },
  },
];

export const DATA_SETTINGS: FieldTable = [
  {
    name: "images_per_sequence",
    doc: "at most this many images packed into one training sequence",
    type: { kind: "int", min: 0, limit: LIMITS.context },
    default: { kind: "value", value: 1 },
  },
  {
    name: "tokenizer",
    doc: '`bytes` (byte-level, no files) or `bpe("tokenizer.json")`',
    type: { kind: "special", shape: '`bytes` or `bpe("...")`' },
    default: { kind: "value", value: "bytes" },
  },
  {
    name: "weighting",
    doc: "whether the weights count samples or tokens",
    type: { kind: "word", words: ["samples", "tokens"] },
    default: { kind: "value", value: "samples" },
  },
  {
    name: "mix",
    doc: "the weights as a ratio, one part per source in order",
    type: { kind: "special", shape: "a ratio such as `45:45:10`" },
    default: { kind: "none", means: "none (each source's own weight)" },
  },
  {
    name: "heldout",
    doc: "a caption source for evaluation only, never trained on",
    type: { kind: "special", shape: 'a caption source such as `webdataset("...")`' },
    default: { kind: "none", means: "none" },
  },
  {
    name: "synthesize",
    doc: "a folder where `mmc run` writes the synthetic starter corpus when it holds none",
    type: { kind: "string", path: true },
    default: { kind: "none", means: "none" },
  },
  {
    name: "roots",
    doc: "folders (relative to the `.mm` file or absolute) that image paths inside data files may also point into",
    type: { kind: "special", shape: "a list of strings" },
    default: { kind: "none", means: "none" },
  },
  {
    name: "resize",
    doc: "how images are resampled to the encoder's side: `auto` (area averaging to shrink, bilinear to enlarge), `area`, `bilinear`, or `bicubic` (Pillow's, in CLIP's order: the shortest edge, then the centre crop)",
    type: { kind: "word", words: ["auto", "area", "bilinear", "bicubic"] },
    default: { kind: "value", value: "auto" },
  },
  {
    name: "fit",
    doc: "how a non-square image is made square before the resize: `crop` (the centred square) or `pad` (LLaVA-1.5's `image_aspect_ratio: pad`: pasted centred on a square filled with the normalisation mean; not with `tiles`)",
    type: { kind: "word", words: ["crop", "pad"] },
    default: { kind: "value", value: "crop" },
  },
];

const TASK_COMMON: FieldTable = [
  {
    name: "annotations",
    doc: "captioning: the COCO-style caption file; VQA: the annotation file (the human answers)",
    type: { kind: "string", path: true },
    default: { kind: "required" },
  },
  {
    name: "images",
    doc: "the folder the images are in",
    type: { kind: "string", path: true },
    default: { kind: "required" },
  },
  {
    name: "shots",
    doc: "the shot counts to score, each from 0 to 32",
    type: { kind: "special", shape: "a list of whole numbers such as `[0, 4]`" },
    default: { kind: "derived", from: "`[0]`" },
  },
  {
    name: "prompt",
    doc: "the prompt template, with `<image>` where the image goes (VQA: and `{question}`)",
    type: { kind: "string" },
    default: { kind: "derived", from: "`<image>` (VQA: `<image>Question: {question} Answer: `)" },
  },
  {
    name: "samples",
    doc: "how many samples are scored",
    type: { kind: "int", min: 1, max: 1_000_000 },
    default: { kind: "value", value: 100 },
  },
  {
    name: "seed",
    doc: "picks the shots",
    type: { kind: "int", min: 0, max: 2 ** 32 - 1 },
    default: { kind: "value", value: 0 },
  },
  {
    name: "max_tokens",
    doc: "the most tokens generated per answer",
    type: { kind: "int", min: 1, max: 1024 },
    default: { kind: "derived", from: "`32` (VQA: `8`)" },
  },
];

export const CAPTIONING_SETTINGS: FieldTable = TASK_COMMON;

export const VQA_SETTINGS: FieldTable = [
  {
    name: "questions",
    doc: "the VQA question file",
    type: { kind: "string", path: true },
    default: { kind: "required" },
  },
  ...TASK_COMMON,
];

/** Every settings block's table, by block name. */
export const SETTINGS_TABLES: Readonly<Record<SettingsBlock, FieldTable>> = {
  train: TRAIN_SETTINGS,
  optimizer: OPTIMIZER_SETTINGS,
  schedule: SCHEDULE_SETTINGS,
  checkpoint: CHECKPOINT_SETTINGS,
  eval: EVAL_SETTINGS,
  data: DATA_SETTINGS,
  captioning: CAPTIONING_SETTINGS,
  vqa: VQA_SETTINGS,
};
