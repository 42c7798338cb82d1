// The trainable multimodal model: allocates exactly the composed weight manifest, runs images
// through the encoder and connector, places the image tokens at their slots in the text
// embedding sequence, runs the decoder, and scores next-token cross-entropy on text only.
import * as tf from "@tensorflow/tfjs-core";
import { composeModel, type ModelInput } from "../components/model.js";
import type { Config, WeightTensor } from "../components/types.js";
import type { DecoderConfig } from "../components/decoder.js";
import { runtimeKind, type BoundConnector, type BoundEncoder } from "./kinds.js";
import {
  decoderForward,
  embedTokens,
  emptyMoeStats,
  moeAuxLoss,
  type MoeStats,
} from "./layers/decoder.js";
import { gatherRows, scatterAddRows } from "./ops/rows.js";
import { Params, WeightRecorder, type ParamScope } from "./params.js";
import { crossEntropy } from "./train/loss.js";

/** One part as composeModel reports it: kind name and resolved config. */
export interface BuiltPart {
  readonly kind: string;
  readonly config: Config;
}

/** What the runtime needs of a composed model (a components ModelSummary satisfies it). */
export interface ModelPlan {
  readonly parts: {
    readonly vision?: BuiltPart;
    readonly connector?: BuiltPart;
    readonly llm: BuiltPart;
  };
  readonly manifest: readonly WeightTensor[];
}

/** Where one image's tokens go: row `row`, positions start..start+length-1. */
export interface ImageSlot {
  readonly row: number;
  readonly start: number;
  readonly length: number;
  /** Index into `images`. */
  readonly image: number;
}

/**
 * One training batch (the data pipeline's `Batch` fits it). `lossMask[i] = 1` means tokens[i]
 * is a target predicted from positions before it; image-slot positions carry placeholder ids.
 */
export interface ModelBatch {
  readonly batchSize: number;
  readonly sequence: number;
  /** [batchSize, sequence] row-major. */
  readonly tokens: Int32Array;
  /** [batchSize, sequence]. */
  readonly lossMask: Uint8Array | Float32Array;
  /** [n, channels, size, size], in image-index order. */
  readonly images?: Float32Array;
  readonly imageSize?: number;
  readonly imageSlots?: readonly ImageSlot[];
}

export interface LossParts {
  /** Cross-entropy plus the weighted MoE losses: what is minimised. */
  readonly total: tf.Scalar;
  readonly crossEntropy: tf.Scalar;
  readonly moe: MoeStats;
}

export class MultimodalModel {
  readonly params: Params;
  readonly llm: DecoderConfig;
  /** The encoder and connector bound to their configs (absent for text-only models). */
  readonly vision?: BoundEncoder;
  private readonly connector?: BoundConnector;
  private readonly plan: ModelPlan;
  /** What the layers read weights through: the params, or a recorder over them. */
  private weights: ParamScope;

  constructor(plan: ModelPlan, seed: number) {
    this.plan = plan;
    this.params = Params.create(plan.manifest, seed);
    this.weights = this.params;
    const { vision, connector, llm } = plan.parts;
    const llmKind = runtimeKind(llm.kind);
    if (llmKind?.role !== "llm") throw new Error(`internal: \`${llm.kind}\` is no language model`);
    this.llm = llmKind.bind(llm.config);
    if (vision !== undefined) {
      const kind = runtimeKind(vision.kind);
      if (kind?.role !== "encoder") throw new Error(`internal: \`${vision.kind}\` is no encoder`);
      this.vision = kind.bind(vision.config);
    }
    if (connector !== undefined) {
      const kind = runtimeKind(connector.kind);
      if (kind?.role !== "connector")
        throw new Error(`internal: \`${connector.kind}\` is no connector`);
      this.connector = kind.bind(connector.config);
    }
  }

  /** Composes `input` with the components (the checker's own arithmetic) and allocates it. */
  static fromInput(input: ModelInput, seed: number): MultimodalModel {
    const r = composeModel(input);
    if (!r.ok)
      throw new Error(`model does not compose: ${r.problems.map((p) => p.message).join("; ")}`);
    return new MultimodalModel(r, seed);
  }

  /** From now on every weight the forward pass reads is recorded (the differential test). */
  recordReads(): WeightRecorder {
    const recorder = new WeightRecorder(this.params);
    this.weights = recorder;
    return recorder;
  }

  get manifest(): readonly WeightTensor[] {
    return this.plan.manifest;
  }

  /** Image tokens [n * tokens, llmWidth] for images [n, c, s, s]. */
  imageTokens(images: tf.Tensor4D): tf.Tensor2D {
    if (this.vision === undefined || this.connector === undefined) {
      throw new Error("this model has no vision encoder and connector, but the batch has images");
    }
    const patches = this.vision.forward(this.weights.scope("vision"), images);
    const tokens = this.connector(this.weights.scope("connector"), patches);
    return tf.reshape(tokens, [-1, this.llm.width]);
  }

  /** Embeddings [b * t, width]: token embeddings, with image tokens written over their slots. */
  embed(batch: ModelBatch): tf.Tensor2D {
    const b = batch.batchSize;
    const t = batch.sequence;
    const tokens = tf.tensor2d(batch.tokens, [b, t], "int32");
    const text = embedTokens(this.weights.scope("llm"), tokens);
    const slots = batch.imageSlots ?? [];
    if (slots.length === 0 || batch.images === undefined) return text;
    const size = batch.imageSize ?? 0;
    const channels = this.vision?.channels ?? 3;
    const count = batch.images.length / (channels * size * size);
    const images = tf.tensor4d(batch.images, [count, channels, size, size]);
    const perImage = this.imageTokens(images); // [count * k, width], image-index order
    const k = perImage.shape[0] / count;
    const keep = new Float32Array(b * t).fill(1);
    const src: number[] = [];
    const dst: number[] = [];
    for (const s of slots) {
      const n = Math.min(s.length, k);
      for (let j = 0; j < n; j++) {
        const at = s.row * t + s.start + j;
        keep[at] = 0;
        src.push(s.image * k + j);
        dst.push(at);
      }
    }
    const placed = scatterAddRows(
      gatherRows(perImage, tf.tensor1d(src, "int32")),
      tf.tensor1d(dst, "int32"),
      b * t,
    );
    return tf.add(tf.mul(text, tf.tensor2d(keep, [b * t, 1])), placed) as tf.Tensor2D;
  }

  /** Logits [b * t, vocab]; position i predicts token i + 1. */
  logits(batch: ModelBatch, stats: MoeStats = emptyMoeStats()): tf.Tensor2D {
    const h = this.embed(batch);
    return decoderForward(
      this.weights.scope("llm"),
      this.llm,
      h,
      batch.batchSize,
      batch.sequence,
      stats,
    );
  }

  /** Next-token loss on text targets (lossMask), plus the MoE auxiliary losses. */
  loss(batch: ModelBatch): LossParts {
    const stats = emptyMoeStats();
    const logits = this.logits(batch, stats);
    const { targets, mask } = shiftTargets(batch);
    const ce = crossEntropy(logits, tf.tensor1d(targets, "int32"), tf.tensor1d(mask));
    const total = tf.add(ce, moeAuxLoss(this.llm, stats)) as tf.Scalar;
    return { total, crossEntropy: ce, moe: stats };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Targets are the tokens one to the left; the last position of each row has none. */
export function shiftTargets(batch: ModelBatch): { targets: Int32Array; mask: Float32Array } {
  const { batchSize: b, sequence: t } = batch;
  const targets = new Int32Array(b * t);
  const mask = new Float32Array(b * t);
  for (let r = 0; r < b; r++) {
    for (let i = 0; i + 1 < t; i++) {
      targets[r * t + i] = batch.tokens[r * t + i + 1] as number;
      mask[r * t + i] = batch.lossMask[r * t + i + 1] as number;
    }
  }
  return { targets, mask };
}
