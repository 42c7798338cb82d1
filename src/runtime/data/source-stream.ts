// One source read as an endless stream of usable documents: files in a per-epoch shuffled order,
// epoch after epoch, resumable from (epoch, record). A source whose whole pass yields nothing is
// declared empty instead of looping forever.
import { isAbsolute, resolve } from "node:path";
import { expandBraces } from "./brace-expand.js";
import type { RawRecord, ReadContext, SourceDocument } from "./document.js";
import { limitsOf } from "./document.js";
import { DataError } from "./issues.js";
import { mixSeed, Prng } from "./prng.js";
import {
  readCaptionJsonl,
  readInterleavedJsonl,
  readPlainText,
  readTextJsonl,
} from "./read-jsonl.js";
import { readConversationJsonl } from "./read-conversation.js";
import { readWebDataset } from "./read-webdataset.js";
import type { SourceSpec } from "./spec.js";

export interface SourceStreamState {
  /** Completed passes over the source. */
  epoch: number;
  /** Raw records consumed in the current pass (usable or not). */
  record: number;
}

type Reader = (ctx: ReadContext, files: string[]) => AsyncGenerator<RawRecord>;

export function checkSourceSpec(spec: SourceSpec): Reader {
  const combo = `${spec.kind}/${spec.format}`;
  switch (combo) {
    case "caption/webdataset":
      return readWebDataset;
    case "caption/jsonl":
      return readCaptionJsonl;
    case "interleaved/jsonl":
      return readInterleavedJsonl;
    case "text/jsonl":
      return readTextJsonl;
    case "text/text":
      return readPlainText;
    case "conversation/jsonl":
      return readConversationJsonl;
    default:
      throw new DataError(
        `source \`${spec.name}\`: kind \`${spec.kind}\` cannot be read from format \`${spec.format}\` (fix: caption sources use webdataset or jsonl, interleaved and conversation use jsonl, text use jsonl or text)`,
      );
  }
}

export function sourceFiles(spec: SourceSpec, baseDir: string): string[] {
  return expandBraces(spec.path).map((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
}

/** Completed-pass counts at which a "small source repeats" warning is given. */
const REPEAT_WARNINGS = new Set([4, 16, 64, 256, 1024]);

export class SourceStream {
  private readonly reader: Reader;
  private readonly files: string[];
  private iter: AsyncGenerator<RawRecord> | null = null;
  private usable = 0;
  /** Whether the current pass started at record 0, so its usable count proves emptiness. */
  private fresh: boolean;
  epoch: number;
  record: number;
  dead = false;
  /** Usable documents in the last complete pass, once one was seen from its start. */
  samplesPerEpoch: number | null = null;

  constructor(
    private readonly ctx: ReadContext,
    baseDir: string,
    private readonly seed: number,
    private readonly index: number,
    state: SourceStreamState = { epoch: 0, record: 0 },
  ) {
    this.reader = checkSourceSpec(ctx.spec);
    this.files = sourceFiles(ctx.spec, baseDir);
    this.epoch = state.epoch;
    this.record = state.record;
    this.fresh = state.record === 0;
  }

  getState(): SourceStreamState {
    return { epoch: this.epoch, record: this.record };
  }

  /** Files in this pass's order: reshuffled every pass from (seed, source, pass). */
  private epochFiles(): string[] {
    const files = [...this.files];
    if (files.length > 1) Prng.fromSeed(mixSeed(this.seed, this.index, this.epoch)).shuffle(files);
    return files;
  }

  /** The next usable document, or null once the source is known to have none. */
  async next(): Promise<SourceDocument | null> {
    if (this.dead) return null;
    for (;;) {
      if (!this.iter) {
        const records = this.reader(this.ctx, this.epochFiles());
        const buffer = this.ctx.shuffleBuffer ?? 0;
        const rng = Prng.fromSeed(mixSeed(this.seed, this.index, this.epoch, 1));
        const maxBytes = limitsOf(this.ctx).shuffleBytes;
        this.iter = buffer > 1 ? shuffleRecords(records, buffer, rng, maxBytes) : records;
        for (let skipped = 0; skipped < this.record; skipped++) {
          if ((await this.iter.next()).done) break;
        }
      }
      const step = await this.iter.next();
      if (step.done) {
        this.iter = null;
        if (this.fresh && this.usable === 0) {
          this.dead = true;
          this.ctx.issues.report({
            code: "empty-source",
            source: this.ctx.spec.name,
            file: this.ctx.spec.path,
            message:
              "a whole pass over the source found no usable sample; it is left out of the mixture",
            fix: "check the path and the warnings above, or remove the source",
          });
          return null;
        }
        if (this.fresh) this.samplesPerEpoch = this.usable;
        this.epoch++;
        this.record = 0;
        this.usable = 0;
        this.fresh = true;
        this.warnRepeats();
        continue;
      }
      this.record++;
      const doc = await step.value.load();
      if (doc) {
        this.usable++;
        return doc;
      }
    }
  }

  private warnRepeats(): void {
    if (!REPEAT_WARNINGS.has(this.epoch)) return;
    const per = this.samplesPerEpoch === null ? "" : ` (${this.samplesPerEpoch} samples per pass)`;
    this.ctx.issues.report({
      code: "repeated-source",
      source: this.ctx.spec.name,
      file: this.ctx.spec.path,
      message: `the source has been read ${this.epoch} times over${per}; repeated data is memorised rather than learned`,
      fix: "add data to this source or lower its weight",
    });
  }

  async close(): Promise<void> {
    await this.iter?.return(undefined);
    this.iter = null;
  }
}

/**
 * A seeded shuffle buffer over a pass's records: hold `size` records, emit a random one, refill.
 * Its generator is seeded per pass, so replaying a pass (to resume) emits the same order. Records
 * that hold more than `maxBytes` together (large tar samples) are given out early, so the buffer
 * never holds more than that plus one record.
 */
export async function* shuffleRecords(
  records: AsyncGenerator<RawRecord>,
  size: number,
  rng: Prng,
  maxBytes: number,
): AsyncGenerator<RawRecord> {
  const buffer: RawRecord[] = [];
  let held = 0;
  const takeRandom = (): RawRecord => {
    const j = rng.nextInt(buffer.length);
    const out = buffer[j] as RawRecord;
    buffer[j] = buffer[buffer.length - 1] as RawRecord;
    buffer.pop();
    held -= out.bytes ?? 0;
    return out;
  };
  try {
    for await (const r of records) {
      held += r.bytes ?? 0;
      if (buffer.length < size) buffer.push(r);
      else {
        const j = rng.nextInt(size);
        const out = buffer[j] as RawRecord;
        buffer[j] = r;
        held -= out.bytes ?? 0;
        yield out;
      }
      while (held > maxBytes && buffer.length > 1) yield takeRandom();
    }
    while (buffer.length > 0) yield takeRandom();
  } finally {
    await records.return(undefined);
  }
}
