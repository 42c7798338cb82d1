// The IR: fully resolved, checked models, data mixtures, training runs and sweeps. This is
// what `mmc info`, code generation and the runtime read; it holds no syntax, only spans for
// back-references into the `.mm` source.
import type { ComponentSummary } from "../components/counting.js";
import type { ModelSummary, PartInput, Precision, TrainMemory } from "../components/model.js";
import type { TilesConfig } from "../components/tiles.js";
import type { Span } from "../source/source-file.js";
import type {
  CheckpointSettings,
  EvalSettings,
  OptimizerSettings,
  ScheduleSettings,
} from "../spec/run-config.js";
import type { CheckedEvalTask } from "./eval-tasks.js";
import type { CheckedInit } from "./init.js";

export interface CheckedModel {
  readonly name: string;
  readonly doc?: string;
  readonly span: Span;
  /** `model B = A { ... }`: the base model's name. */
  readonly base?: string;
  readonly image?: readonly [number, number, number];
  /** High-resolution sub-images: crops of `image` plus an overview (src/components/tiles.ts). */
  readonly tiles?: TilesConfig;
  readonly parts: {
    readonly vision?: PartInput;
    readonly connector?: PartInput;
    readonly llm: PartInput;
  };
  readonly summary: ModelSummary;
  /** Pretrained weights (`init`): the model's own and each part's, in that order. */
  readonly init?: readonly CheckedInit[];
  /** Where each part was written (for back-references in generated code). */
  readonly spans: {
    readonly image?: Span;
    readonly tiles?: Span;
    readonly vision?: Span;
    readonly connector?: Span;
    readonly llm?: Span;
  };
}

export interface CheckedComponent {
  readonly name: string;
  readonly role: string;
  readonly doc?: string;
  readonly span: Span;
  readonly summary: ComponentSummary;
}

export type SourceKind = "caption" | "interleaved" | "text" | "conversation";

/** One data source; the same shape as the runtime's `SourceSpec`. */
export interface CheckedSource {
  name: string;
  kind: SourceKind;
  format: "webdataset" | "jsonl" | "text";
  /** As written: relative to `CheckedData.baseDir`, may hold brace ranges. */
  path: string;
  field?: string;
  /** Normalised: the weights of a mixture add up to 1. */
  weight: number;
}

/** A data mixture; the same shape as the runtime's `DataSpec`. */
export interface CheckedData {
  readonly name: string;
  /** The declaration's name, and where `tokenizer` was written (for target checks). */
  readonly span?: Span;
  readonly spans?: { readonly tokenizer?: Span };
  /** The folder of the `.mm` file, which source paths are relative to. */
  readonly baseDir: string;
  readonly sources: CheckedSource[];
  readonly weighting: "samples" | "tokens";
  readonly imagesPerSequence: number;
  readonly tokenizer: { kind: "bytes" } | { kind: "bpe"; path: string };
  /** A held-out caption source for evaluation (`heldout: webdataset(...)`), never trained on. */
  readonly heldout?: CheckedSource;
  /** `synthesize: "data/synth"`: where `mmc run` writes the synthetic corpus if it is missing. */
  readonly synthesize?: string;
  /**
   * `roots: ["..."]`: folders that paths inside data files may point into, besides each data
   * file's own folder: written absolute (kept so), or relative (then joined like source paths).
   */
  readonly roots?: readonly { readonly path: string; readonly absolute: boolean }[];
  /**
   * `resize: area | bilinear | bicubic`: how images are resampled (image-preprocess.ts); absent
   * for `auto`, area averaging to shrink and bilinear to enlarge.
   */
  readonly resize?: "area" | "bilinear" | "bicubic";
  /**
   * `fit: pad`: a non-square image is pasted on a square filled with the normalisation mean
   * (LLaVA-1.5's `image_aspect_ratio: pad`) instead of centre-cropped; absent for `crop`.
   */
  readonly fit?: "pad";
}

/** `optimizer: AdamW { ... }`: the settings the runtime takes, and the kind written. */
export interface OptimizerConfig extends OptimizerSettings {
  readonly kind: "AdamW";
}

export type ScheduleConfig = ScheduleSettings;

export interface CheckedTrain {
  readonly name: string;
  readonly doc?: string;
  readonly span: Span;
  readonly model: CheckedModel;
  readonly data: CheckedData;
  readonly steps: number;
  readonly batch: number;
  readonly sequence: number;
  readonly seed: number;
  readonly precision: Precision;
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  /** Every `every` steps into `dir` (relative to the spec), keeping the newest `keep`. */
  readonly checkpoint?: CheckpointSettings;
  /** Held-out loss every `every` steps over `batches` batches, and the benchmark tasks (eval-tasks.ts). */
  readonly eval: EvalSettings<CheckedEvalTask> & {
    /** Where the first task was written (for target checks). */
    readonly tasksSpan?: Span;
  };
  readonly logEvery: number;
  readonly memory: TrainMemory;
  /** `devices: N`: the batch split over N devices, and the training memory on each (spec/devices.ts). */
  readonly devices: number;
  readonly memoryPerDevice: TrainMemory;
  /** `freeze: [vision, "llm.embed"]`: the paths frozen, and the parameters left to train. */
  readonly freeze?: TrainFreeze;
  /** `init: pretrain`: the train whose newest checkpoint gives this one its first weights. */
  readonly init?: TrainInit;
}

export interface TrainFreeze {
  /** As written: part names (`vision`) or tensor paths (`llm.embed`), each once. */
  readonly paths: readonly string[];
  /** Unique parameters that train (tied tensors once) and those frozen; they add up to `params`. */
  readonly trainable: number;
  readonly frozen: number;
  /** Where `freeze` was written (for target checks). */
  readonly span?: Span;
}

export interface TrainInit {
  readonly train: string;
  /** The earlier train's checkpoint folder, relative to the spec (like `checkpoint.dir`). */
  readonly dir: string;
  /** Decoder layers whose MoE experts start from the earlier stage's dense MLP. */
  readonly upcycledLayers: readonly number[];
  /** Where `init` was written (for target checks). */
  readonly span?: Span;
}

export interface SweepAxis {
  /** The path varied, as written: `model.connector`, `steps`. */
  readonly path: string;
  /** A short label per value, for report columns. */
  readonly labels: readonly string[];
}

export interface CheckedSweep {
  readonly name: string;
  readonly span: Span;
  readonly base: string;
  readonly axes: readonly SweepAxis[];
  /** Every grid point, checked: the train it describes. */
  readonly points: readonly { readonly labels: readonly string[]; readonly train: CheckedTrain }[];
  readonly report: readonly string[];
}

export interface CheckedProgram {
  readonly file: string;
  readonly models: readonly CheckedModel[];
  readonly components: readonly CheckedComponent[];
  readonly data: readonly CheckedData[];
  readonly trains: readonly CheckedTrain[];
  readonly sweeps: readonly CheckedSweep[];
}
