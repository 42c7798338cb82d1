// The training loop the generated code calls: batches in, AdamW steps with clipping and a
// schedule, metrics records out, checkpoints every N steps, exact resume, and a clean stop on an
// AbortSignal (checkpoint, then return) or on a non-finite or exploding loss (an error; no state
// that fails the same test is ever saved, so the last checkpoint written is a good one).
import * as tf from "@tensorflow/tfjs-core";
import { currentThreads } from "../backend.js";
import {
  applyCheckpoint,
  saveCheckpoint,
  type LoadedCheckpoint,
} from "../checkpoint/checkpoint.js";
import { describeFallback, newestVerified } from "../checkpoint/resume.js";
import type { LossParts, ModelBatch, MultimodalModel } from "../model.js";
import { AdamW, type AdamWConfig } from "./adamw.js";
import { DivergenceWatch, describeVerdict, type Verdict } from "./divergence.js";
import { microBatches, targetCount } from "./micro-batch.js";
import { learningRate, type ScheduleConfig } from "./schedule.js";

export type BatchSource =
  AsyncIterable<ModelBatch> | Iterable<ModelBatch> | (() => ModelBatch | Promise<ModelBatch>);

export interface StepMetrics {
  readonly step: number;
  readonly loss: number;
  readonly crossEntropy: number;
  readonly lr: number;
  readonly gradNorm: number;
  readonly tokensPerSecond: number;
  readonly stepSeconds: number;
  /** Seconds waiting for the step's batch (reading, decoding, packing). */
  readonly dataSeconds: number;
  /** When the step ended: Unix time in seconds. */
  readonly time: number;
  /** Per MoE layer, the fraction of assignments each expert processed. */
  readonly expertLoad?: number[][];
  /** Per MoE layer, the fraction of assignments dropped for capacity. */
  readonly expertDropped?: number[];
}

export interface TrainOptions {
  readonly model: MultimodalModel;
  readonly batches: BatchSource;
  /** Total optimizer steps of the run (a resumed run continues up to it). */
  readonly steps: number;
  readonly optimizer: AdamWConfig;
  readonly schedule: ScheduleConfig;
  /** Every `every` steps into `dir`, keeping the newest `keep` (default DEFAULT_KEEP). */
  readonly checkpoint?: { readonly every: number; readonly dir: string; readonly keep?: number };
  /** Rows per forward/backward pass; gradients are accumulated over the batch (default: all rows). */
  readonly microBatch?: number;
  /** The forward pass and loss (the generated `<Model>Loss`). */
  readonly loss: (model: MultimodalModel, batch: ModelBatch) => LossParts;
  /**
   * Continue from a checkpoint: `true` loads the newest in `checkpoint.dir` that verifies (if there
   * is one); a LoadedCheckpoint (from newestVerified) is loaded as it is.
   */
  readonly resume?: boolean | LoadedCheckpoint;
  /** Tensors that do not train (`freeze`): no gradient, no AdamW state, left as they are. */
  readonly frozen?: ReadonlySet<string>;
  /** Stop when the loss explodes (see divergence.ts); default on. */
  readonly stopOnDivergence?: boolean;
  /** Where a note about a damaged checkpoint passed over on resume goes. */
  readonly onNote?: (line: string) => void;
  /** Aborting it stops after the current step, with a checkpoint when `checkpoint` is set. */
  readonly signal?: AbortSignal;
  readonly onLog?: (m: StepMetrics) => void | Promise<void>;
  /** Called after each checkpoint write. */
  readonly onCheckpoint?: (path: string, step: number) => void;
  /** The data stream's state, stored in each checkpoint. */
  readonly dataState?: () => unknown;
  /** More caller state for checkpoints (RNG, run name...). */
  readonly extraState?: () => unknown;
}

export interface TrainResult {
  readonly stepsDone: number;
  readonly stopped: "finished" | "aborted";
  readonly lastLoss: number | undefined;
  /** The checkpoint the run resumed from, if any. */
  readonly resumedFrom?: { path: string; step: number; data?: unknown; extra?: unknown };
  readonly checkpointPath?: string;
}

/** Where a loss was measured: in a step, or on the state about to be checkpointed. */
function where(step: number, beforeSave: boolean): string {
  return beforeSave ? `after step ${step} (checked before saving it)` : `at step ${step}`;
}

/** What the last good checkpoint is, and how to go on from there. */
function goOn(lastCheckpoint: string | undefined, show: (path: string) => string): string {
  return lastCheckpoint === undefined
    ? " (no checkpoint was written yet). Lower the learning rate or tighten `clip`, then start over with --fresh"
    : `; the last good checkpoint, ${show(lastCheckpoint)}, is kept. Lower the learning rate or tighten \`clip\`, then continue from it with --resume (or start over with --fresh)`;
}

/** The loss became NaN or infinite: training stopped; the last checkpoint written is intact. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly value: number,
    readonly lastCheckpoint: string | undefined,
    readonly beforeSave = false,
  ) {
    super();
    this.message = this.describe((path) => path);
    this.name = "NonFiniteLossError";
  }

  /** The message, with paths written by `show`. */
  describe(show: (path: string) => string): string {
    const at = where(this.beforeSave ? this.step : this.step + 1, this.beforeSave);
    return `the loss became ${this.value} ${at}; stopped without saving this state${goOn(this.lastCheckpoint, show)}`;
  }
}

/** The loss exploded (see divergence.ts): training stopped before the state could be saved. */
export class LossExplodedError extends Error {
  constructor(
    readonly step: number,
    readonly verdict: Verdict,
    readonly lastCheckpoint: string | undefined,
    readonly beforeSave = false,
  ) {
    super();
    this.message = this.describe((path) => path);
    this.name = "LossExplodedError";
  }

  /** The message, with paths written by `show`. */
  describe(show: (path: string) => string): string {
    return (
      `the loss exploded ${where(this.step, this.beforeSave)}: ${describeVerdict(this.verdict)}; ` +
      `stopped without saving this state${goOn(this.lastCheckpoint, show)}`
    );
  }
}

function batchReader(source: BatchSource): () => Promise<ModelBatch> {
  if (typeof source === "function") return async () => source();
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<ModelBatch>)[Symbol.asyncIterator]()
      : (source as Iterable<ModelBatch>)[Symbol.iterator]();
  return async () => {
    const r = await it.next();
    if (r.done === true) throw new Error("the batch source ended before the last step");
    return r.value;
  };
}

export interface StepOptions {
  /** Rows per forward/backward pass; gradients are accumulated over the batch (default: all rows). */
  readonly microBatch?: number;
  /** The forward pass and loss (the generated `<Model>Loss`). */
  readonly loss: (model: MultimodalModel, batch: ModelBatch) => LossParts;
  /** Tensors that take no gradient (so clipping's global norm is over the trainable ones). */
  readonly frozen?: ReadonlySet<string>;
}

export interface StepOutcome {
  loss: number;
  crossEntropy: number;
  gradNorm: number;
  load: number[][];
  dropped: number[];
}

/**
 * One optimizer step on `batch` at learning rate `lr`. With `microBatch` rows per pass the
 * gradients are accumulated over passes, weighted so the result equals one pass over the batch
 * (cross-entropy by each part's share of the targets, MoE losses by 1 / passes). Leaves no tensors.
 */
export async function trainStep(
  model: MultimodalModel,
  opt: AdamW,
  batch: ModelBatch,
  lr: number,
  options: StepOptions,
): Promise<StepOutcome> {
  const lossOf = options.loss;
  const names = new Map<string, string>();
  const vars: tf.Variable[] = [];
  for (const [name, v] of model.params.entries()) {
    if (options.frozen?.has(name) === true) continue;
    names.set(v.name, name);
    vars.push(v);
  }
  const parts = microBatches(batch, options.microBatch);
  const targets = targetCount(batch);
  const sums = new Map<string, tf.Tensor>();
  let lossValue = 0;
  let ceValue = 0;
  // Each pass's loss and weighted cross-entropy, as scalars on the device until the step's end.
  const passLosses: [tf.Scalar, tf.Scalar][] = [];
  const load: number[][] = [];
  const dropped: number[] = [];
  // Device-routed MoE layers' statistics, read once after the update (no readback mid-step).
  const pending: { layer: number; weight: number; stats: tf.Tensor1D }[] = [];
  for (const part of parts) {
    const ceWeight = targets > 0 ? targetCount(part) / targets : 1 / parts.length;
    const auxWeight = 1 / parts.length;
    let ce: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const p = lossOf(model, part);
      ce = tf.keep(tf.mul(p.crossEntropy, ceWeight) as tf.Scalar);
      p.moe.load.forEach(
        (l, i) =>
          (load[i] = (load[i] ?? l.map(() => 0)).map((x, j) => x + (l[j] as number) * auxWeight)),
      );
      p.moe.dropped.forEach((d, i) => (dropped[i] = (dropped[i] ?? 0) + d * auxWeight));
      p.moe.pending.forEach((t, layer) => {
        if (t !== undefined) pending.push({ layer, weight: auxWeight, stats: tf.keep(t) });
      });
      return tf.add(ce, tf.mul(tf.sub(p.total, p.crossEntropy), auxWeight)) as tf.Scalar;
    }, vars);
    // Read after the update, not here: a read in the middle of a step stalls a GPU queue.
    passLosses.push([value, ce as tf.Scalar]);
    for (const [varName, g] of Object.entries(grads)) {
      const name = names.get(varName) as string;
      const prev = sums.get(name);
      if (prev === undefined) sums.set(name, g);
      else {
        sums.set(name, tf.add(prev, g));
        tf.dispose([prev, g]);
      }
    }
  }
  const normT = AdamW.globalNorm(sums, opt.fused);
  // One read for the norm, every pass's losses and the MoE layers' statistics (each read waits
  // for the GPU queue to drain). The host sums the losses in float64, pass by pass, so the
  // metrics do not depend on the path.
  const readAll = async (): Promise<number> => {
    const scalars = tf.stack([normT, ...passLosses.flat()]);
    const all =
      pending.length === 0 ? scalars : tf.concat([scalars, ...pending.map((p) => p.stats)]);
    const values = await all.data();
    tf.dispose([scalars, all]);
    for (let i = 0; i < passLosses.length; i++) {
      lossValue += values[1 + 2 * i] as number;
      ceValue += values[2 + 2 * i] as number;
    }
    let at = 1 + 2 * passLosses.length;
    for (const { layer, weight, stats } of pending) {
      const e = stats.size - 1;
      const prev =
        (load[layer] ?? []).length === e ? (load[layer] as number[]) : new Array<number>(e).fill(0);
      load[layer] = prev.map((x, j) => x + (values[at + j] as number) * weight);
      dropped[layer] = (dropped[layer] ?? 0) + (values[at + e] as number) * weight;
      at += e + 1;
    }
    return values[0] as number;
  };
  let gradNorm: number;
  if (opt.fused) {
    // The kernel takes the clip scale from the tensor it is given and changes nothing when that
    // is not finite. `norm + 0 * loss` for each pass is the norm itself when every loss is finite
    // and NaN otherwise (0 * Inf is NaN), so a non-finite loss skips the update on the device
    // without a read first. The losses and the norm are read after it, and a skipped update is
    // taken back from the step count.
    const gate =
      passLosses.length === 0
        ? normT
        : (tf.tidy(() =>
            tf.addN([normT, ...passLosses.map(([value]) => tf.mul(value, 0))]),
          ) as tf.Scalar);
    opt.apply(sums, lr, gate);
    if (gate !== normT) gate.dispose();
    gradNorm = await readAll();
    if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) opt.unstep();
  } else {
    gradNorm = await readAll();
    if (Number.isFinite(lossValue) && Number.isFinite(gradNorm)) opt.apply(sums, lr, gradNorm);
  }
  tf.dispose(passLosses.flat());
  normT.dispose();
  tf.dispose([...sums.values()]);
  tf.dispose(pending.map((p) => p.stats));
  return { loss: lossValue, crossEntropy: ceValue, gradNorm, load, dropped };
}

/**
 * The cross-entropy of the model as it is on `batch`, forward only (in micro-batches like a
 * step): what a state about to be checkpointed is judged by. Leaves no tensors.
 */
export async function forwardCrossEntropy(
  model: MultimodalModel,
  batch: ModelBatch,
  options: StepOptions,
): Promise<number> {
  const lossOf = options.loss;
  const parts = microBatches(batch, options.microBatch);
  const targets = targetCount(batch);
  let ce = 0;
  for (const part of parts) {
    const weight = targets > 0 ? targetCount(part) / targets : 1 / parts.length;
    const t = tf.tidy(() => lossOf(model, part).crossEntropy);
    ce += ((await t.data())[0] as number) * weight;
    t.dispose();
  }
  return ce;
}

/** Trains `options.model` for `options.steps` steps (see TrainOptions). */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, steps, checkpoint } = options;
  const opt = new AdamW(model.params, options.optimizer, options.frozen);
  const next = batchReader(options.batches);
  const stepOptions: StepOptions = {
    ...(options.microBatch === undefined ? {} : { microBatch: options.microBatch }),
    loss: options.loss,
    ...(options.frozen === undefined ? {} : { frozen: options.frozen }),
  };
  let loaded: LoadedCheckpoint | undefined;
  try {
    loaded =
      typeof options.resume === "object"
        ? options.resume
        : options.resume === true && checkpoint !== undefined
          ? await newestVerified(checkpoint.dir, {
              onFallback: (p) => options.onNote?.(describeFallback(p, (path) => path)),
            })
          : undefined;
    if (loaded !== undefined) applyCheckpoint(loaded, model.params, opt);
  } catch (e) {
    opt.dispose();
    throw e;
  }
  const start = loaded?.meta.step ?? 0;
  const resumedFrom: TrainResult["resumedFrom"] = loaded && {
    path: loaded.path,
    step: start,
    data: loaded.meta.data,
    extra: loaded.meta.extra,
  };
  const watch =
    options.stopOnDivergence === false
      ? undefined
      : new DivergenceWatch(model.llm.vocab, DivergenceWatch.parseState(loaded?.meta.watch));
  let lastPath: string | undefined = resumedFrom?.path;
  let savedStep: number | undefined = loaded?.meta.step;
  /**
   * Checkpoints the state after `step` steps. The state is first scored on `batch` (the batch
   * it just trained on) and is not written if that loss is not finite or has exploded.
   */
  const save = async (step: number, batch: ModelBatch | undefined): Promise<void> => {
    if (checkpoint === undefined) return;
    if (batch !== undefined) {
      const ce = await forwardCrossEntropy(model, batch, stepOptions);
      if (!Number.isFinite(ce)) throw new NonFiniteLossError(step, ce, lastPath, true);
      const verdict = watch?.judge(ce);
      if (verdict !== undefined) throw new LossExplodedError(step, verdict, lastPath, true);
    }
    const watchState = watch?.state();
    lastPath = await saveCheckpoint(
      checkpoint.dir,
      model.params,
      opt,
      {
        step,
        backend: tf.getBackend(),
        ...(currentThreads() !== undefined ? { threads: currentThreads() } : {}),
        ...(options.dataState ? { data: options.dataState() } : {}),
        ...(options.extraState ? { extra: options.extraState() } : {}),
        ...(watchState ? { watch: watchState } : {}),
        savedAt: new Date().toISOString(),
      },
      checkpoint.keep === undefined ? {} : { keep: checkpoint.keep },
    );
    savedStep = step;
    options.onCheckpoint?.(lastPath, step);
  };
  const result = (stopped: TrainResult["stopped"], stepsDone: number): TrainResult => ({
    stepsDone,
    stopped,
    lastLoss,
    ...(resumedFrom ? { resumedFrom } : {}),
    ...(lastPath ? { checkpointPath: lastPath } : {}),
  });
  let lastLoss: number | undefined;
  let lastBatch: ModelBatch | undefined;
  let step = start;
  try {
    for (; step < steps; step++) {
      if (options.signal?.aborted === true) {
        // Unless a checkpoint (loaded or written) already holds this state.
        if (savedStep !== step) await save(step, lastBatch);
        return result("aborted", step);
      }
      const d0 = performance.now();
      const batch = await next();
      const dataSeconds = (performance.now() - d0) / 1000;
      const lr = learningRate(options.schedule, step, steps, options.optimizer.lr);
      const t0 = performance.now();
      const r = await trainStep(model, opt, batch, lr, stepOptions);
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(step, r.loss, lastPath);
      const verdict = watch?.judge(r.crossEntropy);
      if (verdict !== undefined) throw new LossExplodedError(step + 1, verdict, lastPath);
      watch?.record(r.crossEntropy);
      lastLoss = r.loss;
      lastBatch = batch;
      await options.onLog?.({
        step: step + 1,
        loss: r.loss,
        crossEntropy: r.crossEntropy,
        lr,
        gradNorm: r.gradNorm,
        tokensPerSecond: (batch.batchSize * batch.sequence) / seconds,
        stepSeconds: seconds,
        dataSeconds,
        time: Date.now() / 1000,
        ...(r.load.length > 0 ? { expertLoad: r.load, expertDropped: r.dropped } : {}),
      });
      if (checkpoint !== undefined && checkpoint.every > 0 && (step + 1) % checkpoint.every === 0) {
        await save(step + 1, batch);
      }
    }
    if (checkpoint !== undefined && step > start && steps % Math.max(1, checkpoint.every) !== 0)
      await save(steps, lastBatch);
  } finally {
    opt.dispose();
  }
  return result("finished", step);
}
