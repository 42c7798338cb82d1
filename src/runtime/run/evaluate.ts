// Held-out evaluation: next-token loss and accuracy on caption text given its image, and the same
// with the images of the batch shuffled, so the gap measures what the model reads from the pixels.
// The loss is the model's generated loss, the very function training minimises.
import * as tf from "@tensorflow/tfjs-core";
import type { ModelBatch, ModelCode, MultimodalModel } from "../model.js";
import { shiftTargets } from "../model.js";
import { microBatches } from "../train/micro-batch.js";

export interface EvalResult {
  /** Mean cross-entropy per text target (nats), images as given. */
  readonly loss: number;
  /** Share of text targets predicted exactly (argmax), images as given. */
  readonly accuracy: number;
  /** The same with every image replaced by another one of the batch (images carry no information). */
  readonly shuffledLoss: number;
  readonly shuffledAccuracy: number;
  readonly targets: number;
}

/** The batch with image i replaced by image (i + 1) mod n: captions no longer match their pixels. */
export function rotateImages(batch: ModelBatch): ModelBatch {
  const images = batch.images;
  const size = batch.imageSize ?? 0;
  if (images === undefined || size === 0) return batch;
  const per = 3 * size * size;
  const n = images.length / per;
  if (n < 2) return batch;
  const rotated = new Float32Array(images.length);
  for (let i = 0; i < n; i++)
    rotated.set(images.subarray(((i + 1) % n) * per, ((i + 1) % n) * per + per), i * per);
  return { ...batch, images: rotated };
}

async function score(
  model: MultimodalModel,
  code: ModelCode,
  batch: ModelBatch,
): Promise<{ lossSum: number; correct: number; count: number }> {
  const { targets, mask } = shiftTargets(batch);
  const count = mask.reduce((a, b) => a + b, 0);
  if (count === 0) return { lossSum: 0, correct: 0, count: 0 };
  const [ce, argmax] = tf.tidy(() => {
    const { crossEntropy, logits } = code.loss(model, batch);
    return [crossEntropy, tf.argMax(logits, 1)];
  });
  // Asynchronous reads: a GPU backend (webgpu) cannot read synchronously in Node.
  const [ceValue, predicted] = await Promise.all([ce.data(), argmax.data()]);
  tf.dispose([ce, argmax]);
  let correct = 0;
  for (let i = 0; i < targets.length; i++)
    if (mask[i] === 1 && predicted[i] === targets[i]) correct++;
  return { lossSum: (ceValue[0] ?? NaN) * count, correct, count };
}

async function scoreRows(
  model: MultimodalModel,
  code: ModelCode,
  batch: ModelBatch,
  rows: number | undefined,
): Promise<{ lossSum: number; correct: number; count: number }> {
  const total = { lossSum: 0, correct: 0, count: 0 };
  for (const part of microBatches(batch, rows)) {
    const r = await score(model, code, part);
    total.lossSum += r.lossSum;
    total.correct += r.correct;
    total.count += r.count;
  }
  return total;
}

/** `rowsPerPass`: score at most this many rows at once (the wasm heap plan's micro-batches). */
export async function evaluate(
  model: MultimodalModel,
  code: ModelCode,
  batches: readonly ModelBatch[],
  rowsPerPass?: number,
): Promise<EvalResult> {
  let lossSum = 0;
  let correct = 0;
  let shuffledSum = 0;
  let shuffledCorrect = 0;
  let count = 0;
  for (const b of batches) {
    const a = await scoreRows(model, code, b, rowsPerPass);
    // images are rotated across the whole batch before it is split into passes
    const s = await scoreRows(model, code, rotateImages(b), rowsPerPass);
    lossSum += a.lossSum;
    correct += a.correct;
    shuffledSum += s.lossSum;
    shuffledCorrect += s.correct;
    count += a.count;
  }
  const d = Math.max(1, count);
  return {
    loss: lossSum / d,
    accuracy: correct / d,
    shuffledLoss: shuffledSum / d,
    shuffledAccuracy: shuffledCorrect / d,
    targets: count,
  };
}
