// The training driver a generated train entry calls: checks the run folder, picks the backend,
// builds the model from the spec's components (checking its size against the compiler's count),
// streams the data mixture, trains with progress and JSONL metrics, evaluates on held-out
// captions, checkpoints, resumes exactly, and stops cleanly on a signal or a bad loss.
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { maxPasses } from "../../components/tiles.js";
import type { BackendName } from "../backend.js";
import { CheckpointError } from "../checkpoint/checkpoint.js";
import { loadInitWeights } from "../checkpoint/load-init.js";
import { WeightsFileError } from "../checkpoint/weights-files.js";
import {
  DataError,
  openDataStream,
  renderIssue,
  reportSkipped,
  type Batch,
  type DataStream,
  type DataStreamState,
} from "../data/index.js";
import type { ModelBatch } from "../model.js";
import { MultimodalModel } from "../model.js";
import {
  LossExplodedError,
  NonFiniteLossError,
  train,
  type StepMetrics,
  type TrainResult,
} from "../train/trainer.js";
import { chooseBackend, type ChosenBackend } from "./backend-choice.js";
import { fsRunError, isFsError, RunError, showPath } from "./errors.js";
import { HeldoutEval } from "./heldout.js";
import { BenchmarkEval } from "../generate/eval-during-run.js";
import { Interrupts, stdoutClosed } from "./interrupt.js";
import { planWasmPasses, WASM_HEAP_BYTES } from "./memory-plan.js";
import { MetricsLog } from "./metrics-log.js";
import { Progress, formatDuration, type ProgressSink } from "./progress.js";
import { checkpointRunError } from "./resume.js";
import { claimRunFolder, METRICS_FILE } from "./run-folder.js";
import type { RunConfig, RunOptions, RunSummary } from "./run-config.js";
import { describePlace, planRun, type RunPlan } from "./run-plan.js";
import { applyStageStart, frozenTensors, stageRecord } from "./stage-start.js";

export { RunError } from "./errors.js";
export type { RunConfig, RunOptions, RunSummary } from "./run-config.js";
export { webgpuUnsuitable, WEBGPU_MIN_STEP_FLOPS } from "./backend-choice.js";

/** " (2 threads)" after a backend's name; nothing where the backend decides its threads. */
function threadsNote(threads: number | undefined): string {
  return threads === undefined ? "" : ` (${threads} thread${threads === 1 ? "" : "s"})`;
}

// Writes stop once the reader of stdout has gone (Interrupts stops the run then).
const stdoutSink: ProgressSink = {
  isTTY: process.stdout.isTTY === true,
  write: (t) => void (stdoutClosed() || process.stdout.write(t)),
};

function toModelBatch(b: Batch): ModelBatch {
  return b.imageSlots && b.imageSlots.length > 0
    ? {
        batchSize: b.batchSize,
        sequence: b.sequence,
        tokens: b.tokens,
        lossMask: b.lossMask,
        images: b.images,
        imageSize: b.imageSize,
        imageSlots: b.imageSlots,
      }
    : { batchSize: b.batchSize, sequence: b.sequence, tokens: b.tokens, lossMask: b.lossMask };
}

/** Builds the model and checks it against the compiler's count (a mismatch is mmc's bug). */
function buildModel(config: RunConfig): MultimodalModel {
  const model = MultimodalModel.fromInput(config.model, config.seed);
  const built = model.params.count();
  if (built !== config.params) {
    model.dispose();
    throw new Error(
      `the built model has ${built} parameters but the compiler counted ${config.params}; the generated code is out of date or mmc has a bug`,
    );
  }
  return model;
}

/** Rows per pass on wasm, whose heap is at most 4 GiB (undefined: the whole batch at once). */
function planMicroBatch(
  config: RunConfig,
  backend: BackendName,
  progress: Progress,
): number | undefined {
  if (backend !== "wasm") return undefined;
  const plan = planWasmPasses(config.model, config.params, config.batch, config.sequence);
  if (!plan.ok) throw new RunError(`\`${config.name}\`: ${plan.message}`);
  if (plan.passes <= 1) return undefined;
  progress.line(
    `note: a batch of ${config.batch} runs as ${plan.passes} passes of up to ${plan.rowsPerPass} rows (about ${(plan.heapBytes / 2 ** 30).toFixed(1)} GiB each, to fit the wasm heap); the step is the same`,
  );
  return plan.rowsPerPass;
}

/** The training stream and the held-out batches, the stream continuing `state` when resuming. */
async function openData(
  config: RunConfig,
  state: DataStreamState | undefined,
  options: RunOptions,
  warn: (line: string) => void,
): Promise<{ stream: DataStream; heldout: HeldoutEval; benchmarks: BenchmarkEval | undefined }> {
  const imageSize = config.model.image?.[1];
  const tiles = config.model.tiles;
  const streamOptions = {
    sequence: config.sequence,
    // a tiled image takes this many positions per encoder pass (its overview and each crop)
    imageTokens: tiles ? config.imageTokens / maxPasses(tiles) : config.imageTokens,
    ...(imageSize ? { image: { size: imageSize, ...(tiles ? { tiles } : {}) } } : {}),
    ...(options.strict ? { strict: true } : {}),
    // A text-only model trains on the text of the same documents (captions without their images).
    ...(config.model.image ? {} : { dropImages: true }),
    onWarning: (_issue: unknown, rendered: string) => warn(rendered),
  };
  const textOnly = config.model.image === undefined ? { imagesPerSequence: 0 } : {};
  const stream = openDataStream(
    { ...config.data, ...textOnly, seed: config.seed },
    { ...streamOptions, ...(state ? { state } : {}) },
  );
  try {
    const heldout = await HeldoutEval.open(
      config.heldout && { ...config.heldout, ...textOnly, seed: 0 },
      config.eval.batches,
      config.batch,
      // skipped held-out samples count in the run's summary too
      { ...streamOptions, issues: stream.issues },
      toModelBatch,
      config.model.image !== undefined,
    );
    // the benchmark tasks' files are read now, so a bad one stops the run before its first step
    const benchmarks = await BenchmarkEval.open(config, stream.tokenizer, warn);
    return { stream, heldout, benchmarks };
  } catch (e) {
    await stream.close();
    throw e;
  }
}

/** The metrics record of one step. */
function stepRecord(m: StepMetrics, stream: DataStream): Record<string, unknown> {
  const sources = stream.sourceStats();
  return {
    type: "step",
    step: m.step,
    loss: m.loss,
    cross_entropy: m.crossEntropy,
    lr: m.lr,
    grad_norm: m.gradNorm,
    tokens_per_second: m.tokensPerSecond,
    step_seconds: m.stepSeconds,
    data_seconds: m.dataSeconds,
    time: m.time,
    sources: Object.fromEntries(sources.map((s) => [s.name, s.samples])),
    source_tokens: Object.fromEntries(sources.map((s) => [s.name, s.tokens])),
    ...(m.expertLoad ? { expert_load: m.expertLoad, expert_dropped: m.expertDropped } : {}),
  };
}

/** An error from training as the user reads it: a RunError where it is theirs or the machine's. */
function runErrorOf(e: unknown, backend: BackendName): unknown {
  if (e instanceof NonFiniteLossError || e instanceof LossExplodedError)
    return new RunError(e.describe((path) => `\`${showPath(path)}\``));
  if (e instanceof CheckpointError) return checkpointRunError(e);
  if (e instanceof DataError) return new RunError(e.issue ? renderIssue(e.issue) : e.message);
  if (isFsError(e)) return fsRunError("cannot write the run's files", e);
  // The wasm module aborts when its heap cannot grow (the plan above should prevent it).
  if (backend === "wasm" && e instanceof Error && /^Aborted\(/.test(e.message))
    return new RunError(
      `the wasm backend stopped (${e.message.split(".")[0]}), most likely out of its ${WASM_HEAP_BYTES / 2 ** 30} GiB heap: lower \`batch\` or \`sequence\`, or train on --backend webgpu or tensorflow`,
    );
  return e;
}

/** The run's first lines: what trains where on which backend, and where it resumes from. */
function announce(
  config: RunConfig,
  plan: RunPlan,
  chosen: ChosenBackend,
  say: (line: string) => void,
): void {
  const { backend, threads, adapter } = chosen;
  say(
    `train ${config.name} (${config.source}) on the ${backend} backend${threadsNote(threads)}` +
      (adapter ? ` (${adapter.description})` : ""),
  );
  say(describePlace(plan.place));
  for (const w of plan.resume?.warnings ?? []) say(`warning: ${w}`);
  const from = plan.resume?.checkpoint;
  if (from !== undefined)
    say(
      `resuming from step ${from.meta.step} (${showPath(from.path)}, saved on ${from.meta.backend}${threadsNote(from.meta.threads)})`,
    );
}

/** What a run knows once it has started: its plan, its backend and where it reports. */
interface RunStart {
  readonly started: number;
  readonly plan: RunPlan;
  readonly chosen: ChosenBackend;
  readonly progress: Progress;
  readonly say: (line: string) => void;
}

/** The model with its first weights, and the data it trains on: what the step loop starts from. */
interface LoadedRun {
  readonly model: MultimodalModel;
  readonly frozen: ReadonlySet<string>;
  readonly microBatch: number | undefined;
  /** The `init` metrics record of a stage that starts from an earlier train. */
  readonly stageLine: Record<string, unknown> | undefined;
  readonly stream: DataStream;
  readonly heldout: HeldoutEval;
  readonly benchmarks: BenchmarkEval | undefined;
}

/**
 * Runs a train: start (plan, backend), load (model, first weights, data), take the run folder,
 * the step loop, the final evaluation, and whatever happens, close (summary of skipped samples,
 * lock released, memory freed). Errors come out as `RunError`s where they are the user's.
 */
export async function runTraining(
  config: RunConfig,
  options: RunOptions = {},
): Promise<RunSummary> {
  const start = await startRun(config, options);
  const loaded = await loadRun(config, options, start);
  const log = new MetricsLog(join(start.plan.place.dir, METRICS_FILE));
  const interrupts = new Interrupts(start.say, options.signal);
  interrupts.start();
  let unlock: (() => Promise<void>) | undefined;
  try {
    unlock = await openRunFolder(start, loaded, log);
    const result = await stepLoop(config, start, loaded, log, interrupts.signal);
    await finalEval(config, loaded, result, log, start.say);
    await log.flush();
    start.progress.finish();
    const { started, chosen, say } = start;
    const { heldout } = loaded;
    return summarize(result, {
      steps: start.plan.steps,
      chosen,
      interrupts,
      heldout,
      log,
      started,
      say,
    });
  } catch (e) {
    await log.flush().catch(() => undefined);
    start.progress.finish();
    throw runErrorOf(e, start.chosen.backend);
  } finally {
    await closeRun(loaded, log, unlock, interrupts, start.say);
  }
}

/** Plans the run (reading only), picks the backend and says what trains where. */
async function startRun(config: RunConfig, options: RunOptions): Promise<RunStart> {
  const started = performance.now();
  const progress = new Progress(options.out ?? stdoutSink, config.logEvery);
  const say = (line: string): void => progress.line(line);
  const plan = await planRun(config, options);
  const chosen = await chooseBackend(config, options.backend ?? "auto", {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    note: say,
  });
  announce(config, plan, chosen, say);
  return { started, plan, chosen, progress, say };
}

/**
 * Builds the model (the optimizer's state comes with the step loop), puts in its first weights,
 * sizes the passes and opens the data; the model is released when any of it fails.
 */
async function loadRun(
  config: RunConfig,
  options: RunOptions,
  start: RunStart,
): Promise<LoadedRun> {
  const { plan, progress, say } = start;
  const { backend } = start.chosen;
  const model = buildModel(config);
  const frozen = frozenTensors(config, model.params, say);
  try {
    const stageLine = restoreWeights(config, plan, model, say);
    const microBatch = planMicroBatch(config, backend, progress);
    const data = await openData(
      config,
      plan.resume?.checkpoint?.meta.data as DataStreamState | undefined,
      options,
      (l) => say(`warning: ${l}`),
    );
    return { model, frozen, microBatch, stageLine, ...data };
  } catch (e) {
    model.dispose();
    throw runErrorOf(e, backend);
  }
}

/**
 * The weights a fresh run starts from: pretrained files, then an earlier stage's checkpoint.
 * A resumed run reads its own checkpoint instead (the step loop restores it). Returns the stage's
 * `init` record for the metrics log.
 */
function restoreWeights(
  config: RunConfig,
  plan: RunPlan,
  model: MultimodalModel,
  say: (line: string) => void,
): Record<string, unknown> | undefined {
  if (config.pretrained && config.pretrained.length > 0 && plan.resume?.checkpoint === undefined) {
    try {
      for (const line of loadInitWeights(model.params, config.model, config.pretrained)) say(line);
    } catch (e) {
      if (e instanceof WeightsFileError) throw new RunError(`\`${config.name}\`: ${e.message}`);
      throw e;
    }
  }
  if (plan.stage === undefined) return undefined;
  return stageRecord(plan.stage, applyStageStart(plan.stage, model.params), say);
}

/**
 * Takes the run folder (the run's first write: only now, with everything loaded, is a previous
 * run moved aside, and `run.lock` taken), trims the metrics log to the resumed checkpoint and
 * writes the stage's record. Returns the unlock.
 */
async function openRunFolder(
  start: RunStart,
  loaded: LoadedRun,
  log: MetricsLog,
): Promise<() => Promise<void>> {
  const unlock = await claimRunFolder(start.plan.folder, start.say);
  const resumeFrom = start.plan.resume?.checkpoint;
  if (resumeFrom !== undefined) await log.trimTo(resumeFrom.meta.step);
  if (loaded.stageLine !== undefined) log.push(loaded.stageLine);
  return unlock;
}

/** The step loop: training with progress, metrics, checkpoints and evaluation every `eval.every`. */
function stepLoop(
  config: RunConfig,
  start: RunStart,
  loaded: LoadedRun,
  log: MetricsLog,
  signal: AbortSignal,
): Promise<TrainResult> {
  const { plan, progress, say } = start;
  const { steps, place } = plan;
  const resumeFrom = plan.resume?.checkpoint;
  const { model, frozen, microBatch, stream, heldout, benchmarks } = loaded;
  return train({
    model,
    loss: config.code.loss,
    steps,
    ...(microBatch !== undefined ? { microBatch } : {}),
    optimizer: config.optimizer,
    schedule: config.schedule,
    ...(frozen.size > 0 ? { frozen } : {}),
    ...(place.checkpoint ? { checkpoint: place.checkpoint } : {}),
    ...(resumeFrom ? { resume: resumeFrom } : {}),
    signal,
    batches: async () => toModelBatch(await stream.nextBatch(config.batch)),
    onLog: async (m) => {
      log.push(stepRecord(m, stream));
      progress.update({
        step: m.step,
        steps,
        loss: m.loss,
        lr: m.lr,
        tokensPerSecond: m.tokensPerSecond,
        secondsPerStep: m.stepSeconds,
      });
      if (config.eval.every > 0 && m.step % config.eval.every === 0) {
        await heldout.run(model, config.code, m.step, microBatch, log, say);
        await benchmarks?.run(model, m.step, log, say);
      }
      // Written before the next batch is read, so `data_seconds` times the data alone.
      await log.flush();
    },
    onCheckpoint: (path, step) => say(`checkpoint: step ${step} -> ${showPath(path)}`),
    dataState: () => stream.getState(),
    extraState: () => ({ train: config.name, source: config.source }),
  });
}

/** The evaluation at the end of a finished run, unless its last step was an `eval.every` step. */
async function finalEval(
  config: RunConfig,
  loaded: LoadedRun,
  result: TrainResult,
  log: MetricsLog,
  say: (line: string) => void,
): Promise<void> {
  if (result.stopped !== "finished") return;
  const { model, microBatch, heldout, benchmarks } = loaded;
  if (!evaluatedAt(config, heldout, result))
    await heldout.run(model, config.code, result.stepsDone, microBatch, log, say);
  // the tasks ran at the last step already when it was an `eval.every` step
  if (result.stepsDone % config.eval.every !== 0)
    await benchmarks?.run(model, result.stepsDone, log, say);
}

/** Whatever happened: the skipped-samples summary, the lock released, everything freed. */
async function closeRun(
  loaded: LoadedRun,
  log: MetricsLog,
  unlock: (() => Promise<void>) | undefined,
  interrupts: Interrupts,
  say: (line: string) => void,
): Promise<void> {
  const { stream, model } = loaded;
  // The skipped-samples summary goes to this run's log only once the folder is this run's.
  await reportSkipped(stream.issues, {
    say,
    ...(unlock !== undefined ? { metricsPath: log.path } : {}),
  });
  await unlock?.();
  interrupts.stop();
  await stream.close();
  model.dispose();
  tf.disposeVariables();
}

/** The run's last line and its summary. */
function summarize(
  result: TrainResult,
  run: {
    readonly steps: number;
    readonly chosen: ChosenBackend;
    readonly interrupts: Interrupts;
    readonly heldout: HeldoutEval;
    readonly log: MetricsLog;
    readonly started: number;
    readonly say: (line: string) => void;
  },
): RunSummary {
  const seconds = (performance.now() - run.started) / 1000;
  run.say(
    `${result.stopped === "aborted" ? "stopped" : "finished"} at step ${result.stepsDone}/${run.steps} in ${formatDuration(seconds)}` +
      (result.lastLoss !== undefined ? `, loss ${result.lastLoss.toFixed(4)}` : "") +
      `; metrics in ${showPath(run.log.path)}`,
  );
  const { backend, threads } = run.chosen;
  return {
    backend,
    ...(threads !== undefined ? { threads } : {}),
    stepsDone: result.stepsDone,
    stopped: result.stopped,
    ...(run.interrupts.received ? { signal: run.interrupts.received } : {}),
    lastLoss: result.lastLoss,
    ...(run.heldout.last ? { eval: run.heldout.last } : {}),
    ...(result.checkpointPath ? { checkpointPath: result.checkpointPath } : {}),
    metricsPath: run.log.path,
    seconds,
  };
}

/** Whether the last step was evaluated already (then the end of the run does not repeat it). */
function evaluatedAt(config: RunConfig, heldout: HeldoutEval, result: TrainResult): boolean {
  return (
    heldout.last !== undefined &&
    config.eval.every > 0 &&
    result.stepsDone % config.eval.every === 0
  );
}
