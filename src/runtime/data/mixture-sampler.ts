// Draws documents from the sources in the declared proportions. Draws come in blocks: each block
// gives every source a quota (weight x block size, with the fractions carried to the next block)
// and the order inside the block is a seeded shuffle, so realised shares stay within about
// 1/blockSize of the declared ones at every point while the stream stays random. With
// `weighting: "tokens"` the quotas divide each weight by the source's mean document length so far.
import { resolve } from "node:path";
import { AllowedFolders } from "./contained-file.js";
import type { ReadContext } from "./document.js";
import { DataError, type IssueSink } from "./issues.js";
import type { DataLimits } from "./limits.js";
import { Prng, type PrngState } from "./prng.js";
import { SourceStream } from "./source-stream.js";
import type { DataSpec, ImageOptions } from "./spec.js";
import type { Tokenizer } from "./tokenizer.js";
import { tokenizeDocument, type TokenizedDocument } from "./tokenize-document.js";

export interface SourceCursor {
  name: string;
  epoch: number;
  record: number;
  samples: number;
  tokens: number;
  dead: boolean;
}

/** Plain JSON: store it in a checkpoint and pass it back to resume the exact stream. */
export interface SamplerState {
  version: 1;
  seed: number;
  rng: PrngState;
  blockSize: number;
  /** Draws left in the current block, per source. */
  quota: number[];
  /** Fractional quota carried to the next block, per source. */
  carry: number[];
  sources: SourceCursor[];
}

export interface SamplerOptions {
  tokenizer: Tokenizer;
  imageTokens: number;
  image: ImageOptions;
  issues: IssueSink;
  state?: SamplerState;
  /** Draws per block; at least 10 per source. Default 100. */
  blockSize?: number;
  /** Size limits for files, lines, images and records (see limits.ts); defaults where absent. */
  limits?: Partial<DataLimits>;
  /** Per-source shuffle buffer, in records (see SourceStream). Default 1000; 0 keeps file order. */
  shuffleBuffer?: number;
  /** Keep only the text of each document (for a text-only model trained on the same mixture). */
  dropImages?: boolean;
}

export class MixtureSampler {
  private readonly streams: SourceStream[];
  private readonly weights: number[];
  private readonly rng: Prng;
  private readonly quota: number[];
  private readonly carry: number[];
  private readonly cursors: SourceCursor[];
  readonly blockSize: number;
  readonly seed: number;

  constructor(
    private readonly spec: DataSpec,
    private readonly options: SamplerOptions,
  ) {
    const n = spec.sources.length;
    if (n === 0)
      throw new DataError(
        `data \`${spec.name}\` has no sources (fix: declare at least one source)`,
      );
    const total = spec.sources.reduce((s, src) => s + src.weight, 0);
    for (const src of spec.sources) {
      if (!Number.isFinite(src.weight) || src.weight < 0) {
        throw new DataError(
          `source \`${src.name}\` has weight ${src.weight} (fix: use a weight >= 0)`,
        );
      }
    }
    if (!(total > 0))
      throw new DataError(
        `data \`${spec.name}\`: all source weights are 0 (fix: give a source a positive weight)`,
      );
    this.weights = spec.sources.map((s) => s.weight / total);
    const state = options.state;
    if (
      state &&
      (state.version !== 1 ||
        state.sources.length !== n ||
        state.sources.some((c, i) => c.name !== spec.sources[i]?.name))
    ) {
      throw new DataError(
        `the saved data state does not match data \`${spec.name}\` (its sources differ) (fix: resume with the same data spec)`,
      );
    }
    this.seed = state?.seed ?? spec.seed ?? 0;
    this.blockSize = state?.blockSize ?? Math.max(options.blockSize ?? 100, 10 * n);
    this.rng = state ? Prng.fromState(state.rng) : Prng.fromSeed(this.seed);
    this.quota = state ? [...state.quota] : new Array<number>(n).fill(0);
    this.carry = state ? [...state.carry] : new Array<number>(n).fill(0);
    this.cursors = spec.sources.map((s, i) =>
      state?.sources[i]
        ? { ...state.sources[i] }
        : { name: s.name, epoch: 0, record: 0, samples: 0, tokens: 0, dead: s.weight === 0 },
    );
    const reported = new Set<string>();
    const allowed = new AllowedFolders((spec.roots ?? []).map((r) => resolve(spec.baseDir, r)));
    this.streams = spec.sources.map((source, i) => {
      const ctx: ReadContext = {
        spec: source,
        issues: options.issues,
        image: options.image,
        reported,
        allowed,
        ...(options.limits ? { limits: options.limits } : {}),
        shuffleBuffer: options.shuffleBuffer ?? 1000,
      };
      const c = this.cursors[i] as SourceCursor;
      const stream = new SourceStream(ctx, spec.baseDir, this.seed, i, {
        epoch: c.epoch,
        record: c.record,
      });
      stream.dead = c.dead;
      return stream;
    });
  }

  getState(): SamplerState {
    return {
      version: 1,
      seed: this.seed,
      rng: this.rng.getState(),
      blockSize: this.blockSize,
      quota: [...this.quota],
      carry: [...this.carry],
      sources: this.cursors.map((c) => ({ ...c })),
    };
  }

  get sourceCursors(): readonly SourceCursor[] {
    return this.cursors;
  }

  /** Usable documents per full pass, per source (null until a full pass was seen). */
  samplesPerEpoch(): (number | null)[] {
    return this.streams.map((s) => s.samplesPerEpoch);
  }

  async next(): Promise<TokenizedDocument> {
    for (;;) {
      const i = this.pick();
      const stream = this.streams[i] as SourceStream;
      const cursor = this.cursors[i] as SourceCursor;
      const doc = await stream.next();
      Object.assign(cursor, stream.getState());
      if (!doc) {
        cursor.dead = true;
        this.quota[i] = 0;
        this.carry[i] = 0;
        continue;
      }
      const kept = this.options.dropImages
        ? { ...doc, parts: doc.parts.filter((p) => p.type === "text") }
        : doc;
      const { image } = this.options;
      const tokenized = tokenizeDocument(
        kept,
        this.options.tokenizer,
        this.options.imageTokens,
        image.tiles ? 3 * image.size * image.size : undefined,
      );
      cursor.samples++;
      cursor.tokens += tokenized.length;
      return tokenized;
    }
  }

  private pick(): number {
    let total = this.quota.reduce((a, b) => a + b, 0);
    while (total === 0) {
      this.refill();
      total = this.quota.reduce((a, b) => a + b, 0);
    }
    let r = this.rng.nextInt(total);
    for (let i = 0; i < this.quota.length; i++) {
      const q = this.quota[i] ?? 0;
      if (r < q) {
        this.quota[i] = q - 1;
        return i;
      }
      r -= q;
    }
    throw new Error("internal: mixture quota walk fell off the end");
  }

  private refill(): void {
    const alive = this.cursors.map((c, i) => !c.dead && (this.weights[i] ?? 0) > 0);
    if (!alive.includes(true)) {
      throw new DataError(
        `data \`${this.spec.name}\`: no source has any usable sample (fix: see the warnings above for each source's files)`,
      );
    }
    let w = this.weights.map((x, i) => (alive[i] ? x : 0));
    if (this.spec.weighting === "tokens") w = this.perTokenWeights(w);
    const sum = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) {
      if (!alive[i]) continue;
      const c = (this.carry[i] ?? 0) + (this.blockSize * (w[i] ?? 0)) / sum;
      const q = Math.floor(c + 1e-9);
      this.quota[i] = q;
      this.carry[i] = c - q;
    }
  }

  /** Weight / mean document length, so that token shares (not document shares) match the weights. */
  private perTokenWeights(w: number[]): number[] {
    const means = this.cursors.map((c) => (c.samples > 0 ? c.tokens / c.samples : 0));
    const known = means.filter((m) => m > 0);
    const fallback = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
    return w.map((x, i) => x / ((means[i] ?? 0) > 0 ? (means[i] as number) : fallback));
  }

  async close(): Promise<void> {
    for (const s of this.streams) await s.close();
  }
}
