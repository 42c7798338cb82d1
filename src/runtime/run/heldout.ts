// The run's held-out evaluation: a fixed set of batches read once from the held-out source, scored
// every `eval.every` steps and at the end, logged to metrics.jsonl and the progress line.
import {
  openDataStream,
  type Batch,
  type DataSpec,
  type DataStreamOptions,
} from "../data/index.js";
import type { ModelBatch, ModelCode, MultimodalModel } from "../model.js";
import { evaluate, type EvalResult } from "./evaluate.js";
import type { MetricsLog } from "./metrics-log.js";

export class HeldoutEval {
  last: EvalResult | undefined;

  private constructor(
    private readonly batches: readonly ModelBatch[],
    private readonly withImages: boolean,
  ) {}

  /** Reads `count` batches of `batch` rows from `spec` (nothing when there is no held-out source). */
  static async open(
    spec: DataSpec | undefined,
    count: number,
    batch: number,
    streamOptions: DataStreamOptions,
    toBatch: (b: Batch) => ModelBatch,
    withImages: boolean,
  ): Promise<HeldoutEval> {
    const batches: ModelBatch[] = [];
    if (spec !== undefined && count > 0) {
      const heldout = openDataStream(spec, { ...streamOptions, shuffleBuffer: 0 });
      try {
        for (let i = 0; i < count; i++) batches.push(toBatch(await heldout.nextBatch(batch)));
      } finally {
        await heldout.close();
      }
    }
    return new HeldoutEval(batches, withImages);
  }

  /** Scores the model at `step`; logs the record and a line. Nothing without held-out batches. */
  async run(
    model: MultimodalModel,
    code: ModelCode,
    step: number,
    microBatch: number | undefined,
    log: MetricsLog,
    say: (line: string) => void,
  ): Promise<void> {
    if (this.batches.length === 0) return;
    const r = await evaluate(model, code, this.batches, microBatch);
    this.last = r;
    log.push({
      type: "eval",
      step,
      caption_loss: r.loss,
      caption_accuracy: r.accuracy,
      caption_loss_shuffled_images: r.shuffledLoss,
      caption_accuracy_shuffled_images: r.shuffledAccuracy,
      targets: r.targets,
    });
    say(
      `eval at step ${step}: held-out caption loss ${r.loss.toFixed(4)} (accuracy ${(r.accuracy * 100).toFixed(1)}%)` +
        (this.withImages
          ? `; with shuffled images ${r.shuffledLoss.toFixed(4)} (${(r.shuffledAccuracy * 100).toFixed(1)}%)`
          : " (text only)"),
    );
  }
}
