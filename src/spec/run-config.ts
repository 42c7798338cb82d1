// The run configuration the checker produces (src/check/ir.ts's CheckedTrain holds these) and the
// runtime consumes (src/runtime/run/run-config.ts's RunConfig adds the model, its generated code
// and the data mixture to `RunSettings`). Declared once, here: plain data, no behaviour.

/** `optimizer: AdamW { ... }` as the runtime takes it (defaults from OPTIMIZER_SETTINGS). */
export interface OptimizerSettings {
  readonly lr: number;
  readonly betas: readonly [number, number];
  readonly weightDecay: number;
  readonly eps: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  readonly clip: number;
}

export type ScheduleKind = "cosine" | "linear" | "constant";

/** `schedule: Cosine { ... }`: linear warm-up, then the decay to `final` x peak. */
export interface ScheduleSettings {
  readonly kind: ScheduleKind;
  /** Warm-up steps (linear up to the peak). */
  readonly warmup: number;
  /** Final learning rate as a fraction of the peak (cosine and linear). */
  readonly final: number;
}

/** `checkpoint: { ... }`: every `every` steps into `dir`, keeping the newest `keep`. */
export interface CheckpointSettings {
  readonly every: number;
  readonly dir: string;
  readonly keep: number;
}

/** A benchmark task of the train's `eval` setting; paths absolute (from the spec's folder). */
export interface EvalTaskConfig {
  readonly kind: "captioning" | "vqa";
  readonly name: string;
  /** Captioning: the COCO-style caption file; VQA: the annotation file. */
  readonly annotations: string;
  readonly questions?: string;
  readonly images: string;
  readonly shots: readonly number[];
  readonly prompt: string;
  readonly samples: number;
  readonly seed: number;
  readonly maxTokens: number;
}

/** `eval: { ... }`: held-out loss every `every` steps over `batches` batches, and the tasks. */
export interface EvalSettings<Task = EvalTaskConfig> {
  readonly every: number;
  readonly batches: number;
  /** Few-shot benchmark tasks (`mmc eval`, and `mmc run` at `every`). */
  readonly tasks?: readonly Task[];
}

/**
 * Everything a train entry knows from the spec except the model, its code and the data (which
 * the runtime's RunConfig adds with the runtime's own types); written out by `mmc compile`.
 */
export interface RunSettings {
  /** The train's name and where it was declared, for messages. */
  readonly name: string;
  readonly source: string;
  /** The compiler's parameter count; the built model must have exactly this many. */
  readonly params: number;
  /** Image tokens per image after the connector (0 for a text-only model). */
  readonly imageTokens: number;
  /** Where `mmc run` writes the synthetic corpus first when it is missing. */
  readonly synthesize?: string;
  readonly steps: number;
  readonly batch: number;
  readonly sequence: number;
  readonly seed: number;
  readonly optimizer: OptimizerSettings;
  readonly schedule: ScheduleSettings;
  /**
   * The run folder of a train without `checkpoint` (its `metrics.jsonl` and final weights):
   * generated entries give `runs/<name>` in the spec's folder, as the PyTorch target's train.py
   * does. Absent (a config made by hand), `runs/<name>` in the working folder.
   */
  readonly runDir?: string;
  /** Every `every` steps into `dir`, keeping the newest `keep` (default: CHECKPOINT_SETTINGS). */
  readonly checkpoint?: Omit<CheckpointSettings, "keep"> & { readonly keep?: number };
  readonly eval: EvalSettings;
  readonly logEvery: number;
  /** `freeze`: tensors under these paths (`vision`, `llm.embed`) take no gradient nor AdamW state. */
  readonly freeze?: readonly string[];
  /**
   * `init: <train>`: a fresh run starts from the weights of the newest verified checkpoint in
   * `dir`, written by `train` (`spec` is the spec's file, for the command that runs it first).
   */
  readonly init?: { readonly train: string; readonly dir: string; readonly spec: string };
}
