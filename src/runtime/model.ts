// The trainable multimodal model: allocates exactly the composed weight manifest and binds each
// part to its config. The forward pass itself is generated code (models.ts, `ModelCode`), which
// calls the pieces here: token ids, the batch's images, encoder, connector, image-slot placement.
import * as tf from "@tensorflow/tfjs-core";
import { composeModel, type ModelInput } from "../components/model.js";
import type { Config, WeightTensor } from "../components/types.js";
import type { DecoderConfig } from "../components/decoder.js";
import { runtimeKind, type BoundConnector, type BoundEncoder } from "./kinds.js";
import type { MoeStats } from "./layers/decoder.js";
import { withoutCapacity } from "./layers/moe.js";
import { gatherRows, scatterAddRows } from "./ops/rows.js";
import { Params, WeightRecorder, type ParamScope } from "./params.js";

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

/** What a model's forward pass returns: logits [b * t, vocab] (position i predicts token i + 1). */
export interface ForwardParts {
  readonly logits: tf.Tensor2D;
  readonly moe: MoeStats;
}

export interface LossParts extends ForwardParts {
  /** Cross-entropy plus the weighted MoE losses: what is minimised. */
  readonly total: tf.Scalar;
  /** Mean cross-entropy over the text targets. */
  readonly crossEntropy: tf.Scalar;
}

/**
 * A model's forward pass, generated per model in models.ts (`<Model>Code`): training, held-out
 * evaluation, benchmark tasks and generation all run it, so there is one forward pass, not two.
 */
export interface ModelCode {
  /** Input embeddings [b * t, width]: token embeddings, image tokens written over their slots. */
  embed(model: MultimodalModel, batch: ModelBatch): tf.Tensor2D;
  /** Embeddings through the decoder: logits and the MoE statistics. */
  forward(model: MultimodalModel, batch: ModelBatch): ForwardParts;
  /** The forward pass scored: next-token loss on text targets plus the MoE auxiliary losses. */
  loss(model: MultimodalModel, batch: ModelBatch): LossParts;
}

export class MultimodalModel {
  readonly params: Params;
  readonly llm: DecoderConfig;
  /** The encoder and connector bound to their configs (absent for text-only models). */
  readonly vision?: BoundEncoder;
  private readonly connector?: BoundConnector;
  private readonly plan: ModelPlan;
  private reader: ParamScope;

  constructor(plan: ModelPlan, seed: number) {
    this.plan = plan;
    this.params = Params.create(plan.manifest, seed);
    this.reader = this.params;
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
    this.reader = recorder;
    return recorder;
  }

  /** What the forward pass reads weights through: the params, or a recorder over them. */
  get weights(): ParamScope {
    return this.reader;
  }

  get manifest(): readonly WeightTensor[] {
    return this.plan.manifest;
  }

  /** The batch's token ids [b, t]. */
  tokenIds(batch: ModelBatch): tf.Tensor2D {
    return tf.tensor2d(batch.tokens, [batch.batchSize, batch.sequence], "int32");
  }

  /** The batch's images [n, channels, size, size], or undefined when it places none. */
  batchImages(batch: ModelBatch): tf.Tensor4D | undefined {
    if ((batch.imageSlots ?? []).length === 0 || batch.images === undefined) return undefined;
    const size = batch.imageSize ?? 0;
    const channels = this.vision?.channels ?? 3;
    const count = batch.images.length / (channels * size * size);
    return tf.tensor4d(batch.images, [count, channels, size, size]);
  }

  /** The vision encoder: images [n, c, s, s] -> patch tokens [n, patches, vision width]. */
  encode(images: tf.Tensor4D): tf.Tensor3D {
    if (this.vision === undefined)
      throw new Error("this model has no vision encoder, but the batch has images");
    return this.vision.forward(this.weights.scope("vision"), images);
  }

  /** The connector: patch tokens -> image tokens [n, tokens, llm width]. */
  connect(patches: tf.Tensor3D): tf.Tensor3D {
    if (this.connector === undefined)
      throw new Error("this model has no connector, but the batch has images");
    return this.connector(this.weights.scope("connector"), patches);
  }

  /**
   * This model as inference runs it: the same weights, its MoE layers routing without a capacity
   * limit (`withoutCapacity`, as the KV-cached decoder routes), so the full forward pass answers
   * what the cache answers. Itself when it has no experts. Dispose the model, not the view.
   */
  atInference(): MultimodalModel {
    const moe = this.llm.moe;
    if (moe === undefined) return this;
    const view = Object.create(MultimodalModel.prototype) as MultimodalModel;
    return Object.assign(view, this, { llm: { ...this.llm, moe: withoutCapacity(moe) } });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * Text embeddings [b * t, width] with each image's tokens (`imageTokens` [n, k, width], in
 * image-index order) written over its slot; a slot longer than k takes the first k positions.
 */
export function placeImageTokens(
  text: tf.Tensor2D,
  imageTokens: tf.Tensor3D,
  batch: ModelBatch,
): tf.Tensor2D {
  const b = batch.batchSize;
  const t = batch.sequence;
  const [, k, width] = imageTokens.shape;
  const perImage = tf.reshape(imageTokens, [-1, width]) as tf.Tensor2D; // image-index order
  const keep = new Float32Array(b * t).fill(1);
  const src: number[] = [];
  const dst: number[] = [];
  for (const s of batch.imageSlots ?? []) {
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
