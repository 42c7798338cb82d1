// The training loop the generated code calls: batches in, AdamW steps with clipping and a
// schedule, metrics records out, checkpoints every N steps, exact resume, and a clean stop on an
// AbortSignal (checkpoint, then return) or on a non-finite loss (error; the last good checkpoint stays).
import * as tf from "@tensorflow/tfjs-core";
import { currentThreads } from "../backend.js";
import { loadCheckpoint, saveCheckpoint } from "../checkpoint/checkpoint.js";
import type { LossParts, ModelBatch, MultimodalModel } from "../model.js";
import { AdamW, type AdamWConfig } from "./adamw.js";
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
  readonly checkpoint?: { readonly every: number; readonly dir: string };
  /** Rows per forward/backward pass; gradients are accumulated over the batch (default: all rows). */
  readonly microBatch?: number;
  /** The forward pass and loss (generated code may supply its own); default `model.loss`. */
  readonly loss?: (model: MultimodalModel, batch: ModelBatch) => LossParts;
  /** Load `checkpoint.dir`'s checkpoint first if there is one. */
  readonly resume?: boolean;
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

/** The loss became NaN or infinite: training stopped; the last checkpoint written is intact. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly value: number,
    readonly lastCheckpoint: string | undefined,
  ) {
    super(
      `loss became ${value} at step ${step + 1}; stopped` +
        (lastCheckpoint === undefined
          ? " (no checkpoint written yet)"
          : `; the last good checkpoint is ${lastCheckpoint}`) +
        ". Lower the learning rate or tighten `clip`",
    );
    this.name = "NonFiniteLossError";
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
  /** The forward pass and loss (generated code may supply its own); default `model.loss`. */
  readonly loss?: (model: MultimodalModel, batch: ModelBatch) => LossParts;
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
  options: StepOptions = {},
): Promise<StepOutcome> {
  const lossOf = options.loss ?? ((m: MultimodalModel, b: ModelBatch) => m.loss(b));
  const names = new Map<string, string>();
  const vars: tf.Variable[] = [];
  for (const [name, v] of model.params.entries()) {
    names.set(v.name, name);
    vars.push(v);
  }
  const parts = microBatches(batch, options.microBatch);
  const targets = targetCount(batch);
  const sums = new Map<string, tf.Tensor>();
  let lossValue = 0;
  let ceValue = 0;
  const load: number[][] = [];
  const dropped: number[] = [];
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
      return tf.add(ce, tf.mul(tf.sub(p.total, p.crossEntropy), auxWeight)) as tf.Scalar;
    }, vars);
    // Asynchronous reads: a GPU backend (webgpu) cannot read synchronously in Node.
    lossValue += (await value.data())[0] as number;
    ceValue += (await (ce as tf.Scalar).data())[0] as number;
    tf.dispose([value, ce]);
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
  const normT = AdamW.globalNorm(sums);
  const gradNorm = (await normT.data())[0] as number;
  normT.dispose();
  if (Number.isFinite(lossValue) && Number.isFinite(gradNorm)) opt.apply(sums, lr, gradNorm);
  tf.dispose([...sums.values()]);
  return { loss: lossValue, crossEntropy: ceValue, gradNorm, load, dropped };
}

/** Trains `options.model` for `options.steps` steps (see TrainOptions). */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, steps, checkpoint } = options;
  const opt = new AdamW(model.params, options.optimizer);
  const next = batchReader(options.batches);
  let start = 0;
  let resumedFrom: TrainResult["resumedFrom"];
  if (options.resume === true && checkpoint !== undefined) {
    const loaded = await loadCheckpoint(checkpoint.dir, model.params, opt);
    if (loaded !== undefined) {
      start = loaded.meta.step;
      resumedFrom = {
        path: loaded.path,
        step: start,
        data: loaded.meta.data,
        extra: loaded.meta.extra,
      };
    }
  }
  let lastPath: string | undefined = resumedFrom?.path;
  const save = async (step: number): Promise<void> => {
    if (checkpoint === undefined) return;
    lastPath = await saveCheckpoint(checkpoint.dir, model.params, opt, {
      format: 1,
      step,
      backend: tf.getBackend(),
      ...(currentThreads() !== undefined ? { threads: currentThreads() } : {}),
      ...(options.dataState ? { data: options.dataState() } : {}),
      ...(options.extraState ? { extra: options.extraState() } : {}),
      savedAt: new Date().toISOString(),
    });
    options.onCheckpoint?.(lastPath, step);
  };
  let lastLoss: number | undefined;
  let step = start;
  try {
    for (; step < steps; step++) {
      if (options.signal?.aborted === true) {
        await save(step);
        return {
          stepsDone: step,
          stopped: "aborted",
          lastLoss,
          ...(resumedFrom ? { resumedFrom } : {}),
          ...(lastPath ? { checkpointPath: lastPath } : {}),
        };
      }
      const batch = await next();
      const lr = learningRate(options.schedule, step, steps, options.optimizer.lr);
      const t0 = performance.now();
      const r = await trainStep(model, opt, batch, lr, {
        ...(options.microBatch === undefined ? {} : { microBatch: options.microBatch }),
        ...(options.loss === undefined ? {} : { loss: options.loss }),
      });
      const seconds = (performance.now() - t0) / 1000;
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(step, r.loss, lastPath);
      lastLoss = r.loss;
      await options.onLog?.({
        step: step + 1,
        loss: r.loss,
        crossEntropy: r.crossEntropy,
        lr,
        gradNorm: r.gradNorm,
        tokensPerSecond: (batch.batchSize * batch.sequence) / seconds,
        stepSeconds: seconds,
        ...(r.load.length > 0 ? { expertLoad: r.load, expertDropped: r.dropped } : {}),
      });
      if (checkpoint !== undefined && checkpoint.every > 0 && (step + 1) % checkpoint.every === 0) {
        await save(step + 1);
      }
    }
    if (checkpoint !== undefined && steps % Math.max(1, checkpoint.every) !== 0) await save(steps);
  } finally {
    opt.dispose();
  }
  return {
    stepsDone: step,
    stopped: "finished",
    lastLoss,
    ...(resumedFrom ? { resumedFrom } : {}),
    ...(lastPath ? { checkpointPath: lastPath } : {}),
  };
}
