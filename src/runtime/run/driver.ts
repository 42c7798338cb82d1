// The training driver a generated train entry calls: picks the backend, builds the model from
// the spec's components (checking its size against the compiler's count), streams the data
// mixture, trains with progress and JSONL metrics, evaluates on held-out captions, checkpoints,
// resumes exactly, and stops cleanly on Ctrl-C or a non-finite loss.
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { ModelInput } from "../../components/model.js";
import {
  BackendError,
  currentThreads,
  selectBackend,
  webgpuAdapterInUse,
  type BackendChoice,
} from "../backend.js";
import { readCheckpointMeta } from "../checkpoint/checkpoint.js";
import {
  DataError,
  openDataStream,
  renderIssue,
  reportSkipped,
  type DataSpec,
  type DataStreamState,
} from "../data/index.js";
import type { LossParts, ModelBatch } from "../model.js";
import { MultimodalModel } from "../model.js";
import type { AdamWConfig } from "../train/adamw.js";
import type { ScheduleConfig } from "../train/schedule.js";
import { NonFiniteLossError, train, type StepMetrics } from "../train/trainer.js";
import { evaluate, type EvalResult } from "./evaluate.js";
import { planWasmPasses, WASM_HEAP_BYTES } from "./memory-plan.js";
import { Progress, formatDuration, type ProgressSink } from "./progress.js";

/** Everything a train entry knows from the spec; written out by `mmc compile`. */
export interface RunConfig {
  /** The train's name and where it was declared, for messages. */
  readonly name: string;
  readonly source: string;
  readonly model: ModelInput;
  /** The generated forward pass and loss; the model's own when absent. */
  readonly loss?: (model: MultimodalModel, batch: ModelBatch) => LossParts;
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
  readonly checkpoint?: { readonly every: number; readonly dir: string };
  readonly eval: { readonly every: number; readonly batches: number };
  readonly logEvery: number;
}

export interface RunOptions {
  readonly backend?: BackendChoice;
  /** The wasm backend's threads; default MMC_THREADS, else DEFAULT_WASM_THREADS. */
  readonly threads?: number;
  /** Train this many steps in all instead of the spec's `steps`. */
  readonly steps?: number;
  /** Continue from the checkpoint in this folder (or the spec's checkpoint folder when `true`). */
  readonly resume?: string | boolean;
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
  readonly lastLoss: number | undefined;
  readonly eval?: EvalResult;
  readonly checkpointPath?: string;
  readonly metricsPath: string;
  readonly seconds: number;
}

/** " (2 threads)" after a backend's name; nothing where the backend decides its threads. */
function threadsNote(threads: number | undefined): string {
  return threads === undefined ? "" : ` (${threads} thread${threads === 1 ? "" : "s"})`;
}

/** A run that cannot go on, with a message for the user (not a bug in mmc). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

const stdoutSink: ProgressSink = {
  isTTY: process.stdout.isTTY === true,
  write: (t) => void process.stdout.write(t),
};

function toModelBatch(b: {
  batchSize: number;
  sequence: number;
  tokens: Int32Array;
  lossMask: Uint8Array;
  images: Float32Array;
  imageSize: number;
  imageSlots: ModelBatch["imageSlots"];
}): ModelBatch {
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

/**
 * A run killed after its last checkpoint logged steps that the resumed run will train again:
 * drop those records so the log has each step once.
 */
async function trimMetrics(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return;
  }
  const kept = text.split("\n").filter((line) => {
    if (line.trim() === "") return false;
    try {
      const r = JSON.parse(line) as { step?: number };
      return r.step === undefined || r.step <= step;
    } catch {
      return false; // a line cut short by the kill
    }
  });
  await writeFile(path, kept.length ? `${kept.join("\n")}\n` : "");
}

/**
 * Below this many training FLOPs a step, `auto` prefers wasm to webgpu. TensorFlow.js on WebGPU
 * in Node costs 0.25-0.45 ms per kernel whatever its size; measured on an H100
 * (bench/step-profile.mjs, `mmc run`): the tiny example (about 3.6 GFLOP a step) ran 0.9 s a
 * step on webgpu against 0.31 s on wasm; a width-512, 8-layer decoder (about 680 GFLOP a step)
 * 2.5-2.7 s in 4 passes (bench/runtime-step.mjs) against 19 s on 2 wasm threads.
 */
export const WEBGPU_MIN_STEP_FLOPS = 50e9;

/** Training FLOPs of one step by the usual estimate: 6 x parameters x tokens. */
function stepFlops(config: RunConfig): number {
  return 6 * config.params * config.batch * config.sequence;
}

/**
 * Why webgpu should not train `config`: fatal when it was asked for by name and cannot work (MoE
 * routing reads the router's probabilities back synchronously, which WebGPU cannot do in Node);
 * otherwise a reason for `auto` to take wasm instead. Undefined when webgpu is fine.
 */
export function webgpuUnsuitable(
  config: RunConfig,
  choice: BackendChoice,
): { why: string; fatal: boolean } | undefined {
  if (hasExperts(config.model)) {
    const why = `\`${config.name}\` has mixture-of-experts layers, whose routing reads the router's probabilities back synchronously, which the webgpu backend cannot do in Node`;
    return choice === "auto"
      ? { why, fatal: false }
      : { why: `${why}: train it with --backend wasm`, fatal: true };
  }
  const flops = stepFlops(config);
  if (choice === "auto" && flops < WEBGPU_MIN_STEP_FLOPS) {
    return {
      why: `a step of \`${config.name}\` is about ${(flops / 1e9).toPrecision(2)} GFLOP, too small to gain from the GPU (webgpu pays off from about ${WEBGPU_MIN_STEP_FLOPS / 1e9} GFLOP a step; --backend webgpu forces it)`,
      fatal: false,
    };
  }
  return undefined;
}

/** Whether the model's language model has mixture-of-experts layers. */
function hasExperts(model: RunConfig["model"]): boolean {
  const llm = model.llm as { config?: Record<string, unknown> } | undefined;
  return llm?.config?.["moe"] !== undefined;
}

export async function runTraining(
  config: RunConfig,
  options: RunOptions = {},
): Promise<RunSummary> {
  const out = options.out ?? stdoutSink;
  const started = performance.now();
  const choice = options.backend ?? "auto";
  const backendOptions = {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    note: (line: string) => out.write(`${line}\n`),
  };
  let backend = await selectBackend(choice, backendOptions);
  const unsuitable = backend === "webgpu" ? webgpuUnsuitable(config, choice) : undefined;
  if (unsuitable?.fatal) throw new BackendError("webgpu", unsuitable.why);
  if (unsuitable !== undefined) {
    out.write(`note: ${unsuitable.why}; using wasm instead\n`);
    backend = await selectBackend("wasm", backendOptions);
  }
  const threads = currentThreads();
  const adapter = webgpuAdapterInUse();
  const progress = new Progress(out, config.logEvery);
  progress.line(
    `train ${config.name} (${config.source}) on the ${backend} backend${threadsNote(threads)}` +
      (adapter ? ` (${adapter.description})` : ""),
  );

  const model = MultimodalModel.fromInput(config.model, config.seed);
  const built = model.params.count();
  if (built !== config.params) {
    throw new Error(
      `the built model has ${built} parameters but the compiler counted ${config.params}; the generated code is out of date or mmc has a bug`,
    );
  }
  const plan =
    backend === "wasm"
      ? planWasmPasses(config.model, config.params, config.batch, config.sequence)
      : undefined;
  if (plan !== undefined && !plan.ok) {
    model.dispose();
    throw new RunError(`\`${config.name}\`: ${plan.message}`);
  }
  const microBatch = plan !== undefined && plan.passes > 1 ? plan.rowsPerPass : undefined;
  if (plan?.ok && microBatch !== undefined)
    progress.line(
      `note: a batch of ${config.batch} runs as ${plan.passes} passes of up to ${microBatch} rows (about ${(plan.heapBytes / 2 ** 30).toFixed(1)} GiB each, to fit the wasm heap); the step is the same`,
    );
  const steps = options.steps ?? config.steps;
  const checkpointDir =
    typeof options.resume === "string" ? options.resume : config.checkpoint?.dir;
  const checkpoint = config.checkpoint
    ? { every: config.checkpoint.every, dir: checkpointDir ?? config.checkpoint.dir }
    : checkpointDir
      ? { every: config.steps, dir: checkpointDir }
      : undefined;
  let state: DataStreamState | undefined;
  let resumeStep: number | undefined;
  if (options.resume) {
    if (!checkpoint)
      throw new RunError(
        "`--resume` needs a checkpoint folder: give `--resume DIR` or a `checkpoint` in the train",
      );
    const meta = await readCheckpointMeta(checkpoint.dir);
    if (!meta) throw new RunError(`no checkpoint to resume from in ${checkpoint.dir}`);
    state = meta.data as DataStreamState | undefined;
    resumeStep = meta.step;
    progress.line(
      `resuming from step ${meta.step} (${checkpoint.dir}, saved on ${meta.backend}${threadsNote(meta.threads)})`,
    );
  }
  const imageSize = config.model.image?.[1];
  const warn = (_issue: unknown, rendered: string): void => progress.line(`warning: ${rendered}`);
  const streamOptions = {
    sequence: config.sequence,
    imageTokens: config.imageTokens,
    ...(imageSize ? { image: { size: imageSize } } : {}),
    ...(options.strict ? { strict: true } : {}),
    // A text-only model trains on the text of the same documents (captions without their images).
    ...(config.model.image ? {} : { dropImages: true }),
    onWarning: warn,
  };
  const textOnly = config.model.image === undefined ? { imagesPerSequence: 0 } : {};
  const stream = openDataStream(
    { ...config.data, ...textOnly, seed: config.seed },
    { ...streamOptions, ...(state ? { state } : {}) },
  );
  const evalBatches: ModelBatch[] = [];
  if (config.heldout && config.eval.batches > 0) {
    const heldout = openDataStream(
      { ...config.heldout, ...textOnly, seed: 0 },
      { ...streamOptions, shuffleBuffer: 0, issues: stream.issues },
    );
    for (let i = 0; i < config.eval.batches; i++)
      evalBatches.push(toModelBatch(await heldout.nextBatch(config.batch)));
    await heldout.close();
  }

  const metricsDir = checkpoint?.dir ?? join("runs", config.name);
  await mkdir(metricsDir, { recursive: true });
  const metricsPath = join(metricsDir, "metrics.jsonl");
  if (resumeStep !== undefined) await trimMetrics(metricsPath, resumeStep);
  const pending: string[] = [];
  let lastEval: EvalResult | undefined;
  const runEval = async (step: number): Promise<void> => {
    if (evalBatches.length === 0) return;
    lastEval = await evaluate(model, evalBatches, microBatch);
    pending.push(
      JSON.stringify({
        type: "eval",
        step,
        caption_loss: lastEval.loss,
        caption_accuracy: lastEval.accuracy,
        caption_loss_shuffled_images: lastEval.shuffledLoss,
        caption_accuracy_shuffled_images: lastEval.shuffledAccuracy,
        targets: lastEval.targets,
      }),
    );
    const withImages = config.model.image !== undefined;
    progress.line(
      `eval at step ${step}: held-out caption loss ${lastEval.loss.toFixed(4)} (accuracy ${(lastEval.accuracy * 100).toFixed(1)}%)` +
        (withImages
          ? `; with shuffled images ${lastEval.shuffledLoss.toFixed(4)} (${(lastEval.shuffledAccuracy * 100).toFixed(1)}%)`
          : " (text only)"),
    );
  };

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    progress.line(
      "interrupted: finishing this step and writing a checkpoint (Ctrl-C again to quit at once)",
    );
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  options.signal?.addEventListener("abort", () => controller.abort());
  const onLog = async (m: StepMetrics): Promise<void> => {
    const record = {
      type: "step",
      step: m.step,
      loss: m.loss,
      cross_entropy: m.crossEntropy,
      lr: m.lr,
      grad_norm: m.gradNorm,
      tokens_per_second: m.tokensPerSecond,
      step_seconds: m.stepSeconds,
      sources: Object.fromEntries(stream.sourceStats().map((s) => [s.name, s.samples])),
      ...(m.expertLoad ? { expert_load: m.expertLoad, expert_dropped: m.expertDropped } : {}),
    };
    pending.push(JSON.stringify(record));
    progress.update({
      step: m.step,
      steps,
      loss: m.loss,
      lr: m.lr,
      tokensPerSecond: m.tokensPerSecond,
      secondsPerStep: m.stepSeconds,
    });
    if (config.eval.every > 0 && m.step % config.eval.every === 0) await runEval(m.step);
  };
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const lines = pending.splice(0).join("\n") + "\n";
    await appendFile(metricsPath, lines);
  };

  try {
    const result = await train({
      model,
      ...(config.loss ? { loss: config.loss } : {}),
      steps,
      ...(microBatch !== undefined ? { microBatch } : {}),
      optimizer: config.optimizer,
      schedule: config.schedule,
      ...(checkpoint ? { checkpoint } : {}),
      resume: options.resume !== undefined && options.resume !== false,
      signal: controller.signal,
      batches: async () => {
        await flush();
        return toModelBatch(await stream.nextBatch(config.batch));
      },
      onLog,
      onCheckpoint: (path, step) => progress.line(`checkpoint: step ${step} -> ${path}`),
      dataState: () => stream.getState(),
      extraState: () => ({ train: config.name, source: config.source }),
    });
    if (
      result.stopped === "finished" &&
      (lastEval === undefined ||
        config.eval.every <= 0 ||
        result.stepsDone % config.eval.every !== 0)
    )
      await runEval(result.stepsDone);
    await flush();
    progress.finish();
    const seconds = (performance.now() - started) / 1000;
    progress.line(
      `${result.stopped === "aborted" ? "stopped" : "finished"} at step ${result.stepsDone}/${steps} in ${formatDuration(seconds)}` +
        (result.lastLoss !== undefined ? `, loss ${result.lastLoss.toFixed(4)}` : "") +
        `; metrics in ${metricsPath}`,
    );
    return {
      backend,
      ...(threads !== undefined ? { threads } : {}),
      stepsDone: result.stepsDone,
      stopped: result.stopped,
      lastLoss: result.lastLoss,
      ...(lastEval ? { eval: lastEval } : {}),
      ...(result.checkpointPath ? { checkpointPath: result.checkpointPath } : {}),
      metricsPath,
      seconds,
    };
  } catch (e) {
    await flush().catch(() => undefined);
    progress.finish();
    if (e instanceof NonFiniteLossError) throw new RunError(e.message);
    if (e instanceof DataError) throw new RunError(e.issue ? renderIssue(e.issue) : e.message);
    // The wasm module aborts when its heap cannot grow (the plan above should prevent it).
    if (backend === "wasm" && e instanceof Error && /^Aborted\(/.test(e.message))
      throw new RunError(
        `the wasm backend stopped (${e.message.split(".")[0]}), most likely out of its ${WASM_HEAP_BYTES / 2 ** 30} GiB heap: lower \`batch\` or \`sequence\`, or train on --backend webgpu or tensorflow`,
      );
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
    await reportSkipped(stream.issues, { say: (l) => progress.line(l), metricsPath });
    await stream.close();
    model.dispose();
    tf.disposeVariables();
  }
}
