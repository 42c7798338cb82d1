// What a generated train entry hands the driver (RunConfig, from the spec), the options of one
// run (RunOptions, from its command line) and what the run reports back (RunSummary).
import type { ModelInput } from "../../components/model.js";
import type { InitConfig } from "../checkpoint/load-init.js";
import type { DataSpec } from "../data/index.js";
import type { ModelCode } from "../model.js";
import type { RunSettings } from "../../spec/run-config.js";
import type { RunFlags } from "../../spec/run-flags.js";
import type { EvalResult } from "./evaluate.js";
import type { StopSignal } from "./interrupt.js";
import type { ProgressSink } from "./progress.js";

export type { EvalTaskConfig } from "../../spec/run-config.js";

/**
 * Everything a train entry knows from the spec; written out by `mmc compile`. The plain settings
 * are declared once in src/spec/run-config.ts; the runtime adds the model, its code and the data.
 */
export interface RunConfig extends RunSettings {
  readonly model: ModelInput;
  /** The model's forward pass and loss (generated, models.ts): training and evaluation run it. */
  readonly code: ModelCode;
  /** The model's `init` weights files, loaded after initialisation, before step 0 (never on resume). */
  readonly pretrained?: readonly InitConfig[];
  readonly data: DataSpec;
  /** A held-out caption source for evaluation, if the data block names one. */
  readonly heldout?: DataSpec;
}

/** One run's options: the parsed run flags (src/spec/run-flags.ts) and where progress goes. */
export interface RunOptions extends RunFlags {
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
