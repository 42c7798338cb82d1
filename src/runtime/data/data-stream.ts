// The entry point a training loop uses: a DataSpec in, packed sequences and batches out, with a
// JSON state for checkpoints and per-source statistics for the run log.
import { resolve } from "node:path";
import { BpeTokenizer } from "./bpe-tokenizer.js";
import { DataError, IssueSink, type IssueOptions } from "./issues.js";
import type { DataLimits } from "./limits.js";
import { MixtureSampler, type SamplerState } from "./mixture-sampler.js";
import {
  SequencePacker,
  type PackedSequence,
  type PackerState,
  type PackerStats,
} from "./packer.js";
import { resolveImageOptions, type DataSpec, type ImageOptions } from "./spec.js";
import { ByteTokenizer, type Tokenizer } from "./tokenizer.js";

export interface DataStreamOptions extends IssueOptions {
  /** Sequence length L. */
  sequence: number;
  /** Positions per image in the sequence (the connector's output token count). */
  imageTokens: number;
  /** Encoder input size and normalisation; defaults to 64 px and CLIP mean/std. */
  image?: Partial<ImageOptions>;
  /** A state from `getState()` to resume from. */
  state?: DataStreamState;
  /** Mixture block size (see MixtureSampler). Default 100. */
  blockSize?: number;
  /** Records per source held by the per-pass shuffle buffer. Default 1000; 0 keeps file order. */
  shuffleBuffer?: number;
  /** Documents held for first-fit packing (see SequencePacker); 1 keeps draw order. Default 8. */
  packWindow?: number;
  /** A tokenizer to use instead of the one the spec names. */
  tokenizer?: Tokenizer;
  /** Keep only the text of each document: a text-only model trained on a multimodal mixture. */
  dropImages?: boolean;
  /** Size limits for files, lines, images and records (see limits.ts); defaults where absent. */
  limits?: Partial<DataLimits>;
  /** Count issues into this sink (shared with another stream) instead of a new one. */
  issues?: IssueSink;
}

export type DataStreamState = PackerState;

export interface SourceStats {
  name: string;
  /** Declared weight, normalised. */
  weight: number;
  samples: number;
  tokens: number;
  /** Passes over the source so far (fractional once the pass size is known). */
  epochs: number;
  samplesPerEpoch: number | null;
  /** Left out of the mixture: empty, or weight 0. */
  dead: boolean;
  issues: Record<string, number>;
}

export interface Batch {
  batchSize: number;
  sequence: number;
  /** [B, L] row-major. */
  tokens: Int32Array;
  /** [B, L]. */
  lossMask: Uint8Array;
  /** [N, 3, S, S]: every image of the batch, in slot order. */
  images: Float32Array;
  imageSize: number;
  /** `image` indexes the N images of the batch. */
  imageSlots: { row: number; start: number; length: number; image: number }[];
}

export function loadTokenizer(spec: DataSpec): Tokenizer {
  if (spec.tokenizer.kind === "bytes") return new ByteTokenizer();
  return BpeTokenizer.fromFile(resolve(spec.baseDir, spec.tokenizer.path));
}

export class DataStream {
  readonly tokenizer: Tokenizer;
  readonly issues: IssueSink;
  readonly image: ImageOptions;
  private readonly sampler: MixtureSampler;
  private readonly packer: SequencePacker;

  constructor(
    readonly spec: DataSpec,
    readonly options: DataStreamOptions,
  ) {
    this.tokenizer = options.tokenizer ?? loadTokenizer(spec);
    this.issues = options.issues ?? new IssueSink(options);
    this.image = resolveImageOptions(options.image, spec);
    if (this.image.fit === "pad" && this.image.tiles)
      throw new DataError(
        // the checker refuses it (MM5021); data.py says the same
        "`fit: pad` does not apply to tiled images (fix: remove `fit: pad` from the data block)",
      );
    const samplerState: SamplerState | undefined = options.state?.sampler;
    this.sampler = new MixtureSampler(spec, {
      tokenizer: this.tokenizer,
      imageTokens: options.imageTokens,
      image: this.image,
      issues: this.issues,
      state: samplerState,
      blockSize: options.blockSize,
      shuffleBuffer: options.shuffleBuffer,
      dropImages: options.dropImages,
      ...(options.limits ? { limits: options.limits } : {}),
    });
    const state = options.state;
    this.packer = new SequencePacker(
      this.sampler,
      this.tokenizer.special,
      {
        sequence: options.sequence,
        imageTokens: options.imageTokens,
        imagesPerSequence: spec.imagesPerSequence,
        window: options.packWindow,
      },
      state ? { drawn: state.drawn, window: state.window } : null,
    );
  }

  nextSequence(): Promise<PackedSequence> {
    return this.packer.next();
  }

  async nextBatch(batchSize: number): Promise<Batch> {
    const rows: PackedSequence[] = [];
    for (let i = 0; i < batchSize; i++) rows.push(await this.packer.next());
    return collateBatch(rows, this.options.sequence, this.image.size);
  }

  /** Plain JSON for the checkpoint; pass it back as `options.state` to continue the same stream. */
  getState(): DataStreamState {
    return this.packer.getState();
  }

  packerStats(): PackerStats {
    return { ...this.packer.stats };
  }

  sourceStats(): SourceStats[] {
    const total = this.spec.sources.reduce((s, x) => s + x.weight, 0);
    const perEpoch = this.sampler.samplesPerEpoch();
    const issues = this.issues.summary();
    return this.sampler.sourceCursors.map((c, i) => {
      const per = perEpoch[i] ?? null;
      return {
        name: c.name,
        weight: (this.spec.sources[i]?.weight ?? 0) / total,
        samples: c.samples,
        tokens: c.tokens,
        epochs: per ? c.epoch + Math.min(1, usableFraction(c.samples, per, c.epoch)) : c.epoch,
        samplesPerEpoch: per,
        dead: c.dead,
        issues: issues[c.name] ?? {},
      };
    });
  }

  close(): Promise<void> {
    return this.sampler.close();
  }
}

function usableFraction(samples: number, perEpoch: number, epoch: number): number {
  return Math.max(0, samples - epoch * perEpoch) / perEpoch;
}

export function collateBatch(
  rows: readonly PackedSequence[],
  sequence: number,
  imageSize: number,
): Batch {
  const b = rows.length;
  const tokens = new Int32Array(b * sequence);
  const lossMask = new Uint8Array(b * sequence);
  const plane = 3 * imageSize * imageSize;
  const count = rows.reduce((s, r) => s + r.images.length, 0);
  const images = new Float32Array(count * plane);
  const imageSlots: Batch["imageSlots"] = [];
  let n = 0;
  rows.forEach((row, r) => {
    tokens.set(row.tokens, r * sequence);
    lossMask.set(row.lossMask, r * sequence);
    for (const slot of row.imageSlots) {
      const img = row.images[slot.image];
      if (img) images.set(img, n * plane);
      imageSlots.push({ row: r, start: slot.start, length: slot.length, image: n++ });
    }
  });
  return { batchSize: b, sequence, tokens, lossMask, images, imageSize, imageSlots };
}

export function openDataStream(spec: DataSpec, options: DataStreamOptions): DataStream {
  return new DataStream(spec, options);
}
