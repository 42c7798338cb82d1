// Splits a batch into micro-batches of whole rows (gradient accumulation), carrying each row's
// image slots and images along, so a large batch fits the wasm heap (4 GiB at most).
import type { ImageSlot, ModelBatch } from "../model.js";

/** Targets a row contributes: lossMask positions 1.. (position 0 is never a target). */
export function targetCount(batch: ModelBatch, fromRow = 0, toRow = batch.batchSize): number {
  let n = 0;
  for (let r = fromRow; r < toRow; r++) {
    for (let i = 1; i < batch.sequence; i++) n += batch.lossMask[r * batch.sequence + i] as number;
  }
  return n;
}

/** Rows [from, to) of `batch` as a batch of their own. */
export function sliceRows(batch: ModelBatch, from: number, to: number): ModelBatch {
  const t = batch.sequence;
  const base: ModelBatch = {
    batchSize: to - from,
    sequence: t,
    tokens: batch.tokens.subarray(from * t, to * t),
    lossMask: batch.lossMask.subarray(from * t, to * t),
  };
  const slots = (batch.imageSlots ?? []).filter((s) => s.row >= from && s.row < to);
  if (slots.length === 0 || batch.images === undefined || batch.imageSize === undefined)
    return base;
  const total = batch.imageSlots?.length ?? 0;
  const perImage = batch.images.length / Math.max(1, countImages(batch, total));
  const order = [...new Set(slots.map((s) => s.image))];
  const images = new Float32Array(order.length * perImage);
  order.forEach((img, i) =>
    images.set(batch.images!.subarray(img * perImage, (img + 1) * perImage), i * perImage),
  );
  const renumber = new Map(order.map((img, i) => [img, i]));
  const moved: ImageSlot[] = slots.map((s) => ({
    ...s,
    row: s.row - from,
    image: renumber.get(s.image) as number,
  }));
  return { ...base, images, imageSize: batch.imageSize, imageSlots: moved };
}

function countImages(batch: ModelBatch, slots: number): number {
  let most = -1;
  for (const s of batch.imageSlots ?? []) most = Math.max(most, s.image);
  return Math.max(most + 1, slots > 0 ? 1 : 0);
}

/** Row ranges of at most `rows` rows each. */
export function microBatches(batch: ModelBatch, rows: number | undefined): ModelBatch[] {
  const size = rows === undefined || rows <= 0 ? batch.batchSize : Math.min(rows, batch.batchSize);
  if (size >= batch.batchSize) return [batch];
  const out: ModelBatch[] = [];
  for (let r = 0; r < batch.batchSize; r += size)
    out.push(sliceRows(batch, r, Math.min(batch.batchSize, r + size)));
  return out;
}
