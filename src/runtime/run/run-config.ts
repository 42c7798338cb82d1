// What a generated train entry hands the driver (RunConfig, from the spec), the options of one
// run (RunOptions, from its command line) and what the run reports back (RunSummary).
import type { ModelInput } from "../../components/model.js";
import type { BackendChoice } from "../backend.js";
import type { DataSpec } from "../data/index.js";
import type { ModelCode } from "../model.js";
import type { AdamWConfig } from "../train/adamw.js";
import type { ScheduleConfig } from "../train/schedule.js";
import type { EvalResult } from "./evaluate.js";
import type { StopSignal } from "./interrupt.js";
import type { ProgressSink } from "./progress.js";

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

/** Everything a train entry knows from the spec; written out by `mmc compile`. */
export interface RunConfig {
  /** The train's name and where it was declared, for messages. */
  readonly name: string;
  readonly source: string;
  readonly model: ModelInput;
  /** The model's forward pass and loss (generated, models.ts): training and evaluation run it. */
  readonly code: ModelCode;
  /** The compiler's parameter count; the built model must have exactly this many. */
  readonly params: number;
  /** Image tokens per image after the connector (0 for a text-only model). */
  readonly imageTokens: number;
  readonly data: DataSpec;
  /** A held-out caption source for evaluation, if the data block names one. */
  readonly heldout?: DataSpec;
  /** Where `mmc run` writes the synthetic corpus first when it is missing. */
  readonly synthesize?: string;
  readonly steps: number;
  readonly batch: number;
  readonly sequence: number;
  readonly seed: number;
  readonly optimizer: AdamWConfig;
  readonly schedule: ScheduleConfig;
  /** Every `every` steps into `dir`, keeping the newest `keep` (default DEFAULT_KEEP). */
  readonly checkpoint?: { readonly every: number; readonly dir: string; readonly keep?: number };
  readonly eval: {
    readonly every: number;
    readonly batches: number;
    /** Few-shot benchmark tasks (`mmc eval`, and `mmc run` at `every`). */
    readonly tasks?: readonly EvalTaskConfig[];
  };
  readonly logEvery: number;
  /** `freeze`: tensors under these paths (`vision`, `llm.embed`) take no gradient nor AdamW state. */
  readonly freeze?: readonly string[];
  /**
   * `init: <train>`: a fresh run starts from the weights of the newest verified checkpoint in
   * `dir`, written by `train` (`spec` is the spec's file, for the command that runs it first).
   */
  readonly init?: { readonly train: string; readonly dir: string; readonly spec: string };
}

export interface RunOptions {
  readonly backend?: BackendChoice;
  /** The wasm backend's threads; default MMC_THREADS, else DEFAULT_WASM_THREADS. */
  readonly threads?: number;
  /** Train this many steps in all instead of the spec's `steps`. */
  readonly steps?: number;
  /** Continue from the checkpoint in this folder (or the spec's checkpoint folder when `true`). */
  readonly resume?: string | boolean;
  /** Move a previous run in the run folder aside (to `<dir>.old-N`) and start over. */
  readonly fresh?: boolean;
  readonly strict?: boolean;
  readonly out?: ProgressSink;
  readonly signal?: AbortSignal;
}

export interface RunSummary {
  readonly backend: string;
  /** The backend's threads (wasm: XNNPACK's pool; cpu: 1); absent where the backend decides. */
  readonly threads?: number;
  readonly stepsDone: number;
  readonly stopped: "finished" | "aborted";
  /** The signal that stopped an aborted run (none when it was stopped through `signal`). */
  readonly signal?: StopSignal;
  readonly lastLoss: number | undefined;
  readonly eval?: EvalResult;
  readonly checkpointPath?: string;
  readonly metricsPath: string;
  readonly seconds: number;
}
