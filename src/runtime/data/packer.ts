// Packs sampled documents into fixed-length training sequences with image slots and a loss mask.
//
// Layout of a document: BOS, its parts in order (text ids; `imageTokens` IMAGE ids per image),
// EOS. A tiled image (its part has `passes`: an overview and crops) takes `imageTokens` per pass,
// as one slot per pass in its order, back to back; it counts once in `imagesPerSequence`.
// `lossMask[i] = 1` means tokens[i] is a training target (predicted from positions < i): text
// tokens and EOS only, never BOS, PAD or image slots, and never position 0, which has no context.
// A conversation's prompt text (a text part with `target: false`: role tags, user turns) is not a
// target either, so fine-tuning learns the assistant's turns only.
//
// The packer holds a window of the next `window` drawn documents (default 8) and fills each
// sequence first-fit from it, oldest first; the parts of a document always stay in order.
// Truncation rule, in order:
//  0. A sequence starts with the rest of a split document if there is one, else with the oldest
//     document of the window (so no document waits more than `window` sequences).
//  1. A window document that fits in the space left (positions and the `imagesPerSequence`
//     budget) is appended whole.
//  2. If none fits, a text-only document is split: BOS and as many tokens as fit end this
//     sequence, the rest continues at the start of the next one (no second BOS; EOS at its real
//     end). Text therefore fills what images leave.
//  3. If no text-only document is waiting (or fewer than 2 positions are left), the sequence is
//     padded. A document with images is never split across sequences, so an image is never
//     separated from its text.
//  4. A document with images that does not fit even an empty sequence is truncated: its parts are
//     kept in order while they fit (text cut at a token boundary, images only whole and within the
//     image budget), the rest is dropped and counted in `stats.droppedTokens` / `droppedImages`,
//     and no EOS is written since the document did not end.
import { DataError } from "./issues.js";
import type { SamplerState } from "./mixture-sampler.js";
import type { TokenizedDocument } from "./tokenize-document.js";
import type { SpecialTokens } from "./tokenizer.js";

export interface PackOptions {
  /** Sequence length L. */
  sequence: number;
  /** Positions each image takes (the connector's output token count; per pass of a tiled image). */
  imageTokens: number;
  imagesPerSequence: number;
  /** Documents held for first-fit packing; 1 packs strictly in draw order. Default 8. */
  window?: number;
}

export interface ImageSlot {
  start: number;
  length: number;
  /** Index into `PackedSequence.images`. */
  image: number;
  /** A tiled image's pass: 0 the overview (or first crop), then the crops; absent untiled. */
  pass?: number;
}

/** Source images in a sequence: a tiled image's passes count once. */
export function imagesIn(seq: PackedSequence): number {
  let n = 0;
  for (const s of seq.imageSlots) if ((s.pass ?? 0) === 0) n++;
  return n;
}

export interface PackedDocument {
  source: string;
  where: string;
  start: number;
  /** Exclusive. */
  end: number;
  /** Started in an earlier sequence. */
  continued: boolean;
  /** Goes on in the next sequence. */
  split: boolean;
  /** Its tail was dropped (rule 4). */
  truncated: boolean;
}

export interface PackedSequence {
  tokens: Int32Array;
  lossMask: Uint8Array;
  imageSlots: ImageSlot[];
  /** One [3, S, S] channel-first normalised image (or pass of a tiled image) per slot. */
  images: Float32Array[];
  documents: PackedDocument[];
}

export interface PackerStats {
  sequences: number;
  textTokens: number;
  imageTokens: number;
  padTokens: number;
  truncatedDocuments: number;
  droppedTokens: number;
  droppedImages: number;
}

/** What the packer draws from: the mixture sampler, or anything with the same two methods. */
export interface DocumentSource<S = SamplerState> {
  next(): Promise<TokenizedDocument>;
  getState(): S;
}

/**
 * Plain JSON. `sampler` is the source state before the oldest document still in the window was
 * drawn; resuming redraws `drawn` documents from it and keeps those listed in `window`.
 */
export interface PackerState<S = SamplerState> {
  sampler: S;
  drawn: number;
  /** Window documents by draw index relative to the oldest, and tokens already emitted. */
  window: { rel: number; offset: number }[];
}

export type PackerRestore = Omit<PackerState<unknown>, "sampler">;

interface Entry<S> {
  doc: TokenizedDocument;
  before: S;
  draw: number;
  /** Tokens of a split text document already emitted; -1 once finished. */
  offset: number;
}

export class SequencePacker<S = SamplerState> {
  private window: Entry<S>[] = [];
  private drawn = 0;
  private restore: PackerRestore | null;
  private readonly size: number;
  readonly stats: PackerStats = {
    sequences: 0,
    textTokens: 0,
    imageTokens: 0,
    padTokens: 0,
    truncatedDocuments: 0,
    droppedTokens: 0,
    droppedImages: 0,
  };

  constructor(
    private readonly sampler: DocumentSource<S>,
    private readonly special: SpecialTokens,
    private readonly options: PackOptions,
    restore: PackerRestore | null = null,
  ) {
    if (!Number.isInteger(options.sequence) || options.sequence < 4) {
      throw new DataError(`sequence length ${options.sequence} is too short (fix: use at least 4)`);
    }
    if (
      options.imagesPerSequence > 0 &&
      !(Number.isInteger(options.imageTokens) && options.imageTokens >= 1)
    ) {
      throw new DataError(
        `image tokens must be a whole number of at least 1, got ${options.imageTokens} (fix: pass the connector's output token count)`,
      );
    }
    if (options.imagesPerSequence > 0 && options.imageTokens + 2 > options.sequence) {
      throw new DataError(
        `one image takes ${options.imageTokens} positions, which with BOS and EOS does not fit a sequence of ${options.sequence} (fix: lengthen the sequence or use fewer image tokens)`,
      );
    }
    this.size = Math.max(1, Math.floor(options.window ?? 8));
    this.restore = restore;
  }

  getState(): PackerState<S> {
    // not resumed yet: nothing was drawn, so the saved state still holds
    if (this.restore) return { sampler: this.sampler.getState(), ...this.restore };
    const first = this.window[0];
    if (!first) return { sampler: this.sampler.getState(), drawn: 0, window: [] };
    return {
      sampler: first.before,
      drawn: this.drawn - first.draw,
      window: this.window.map((e) => ({ rel: e.draw - first.draw, offset: e.offset })),
    };
  }

  /** Replays the draws of a saved window (see PackerState). */
  private async resume(r: PackerRestore): Promise<void> {
    const keep = new Map(r.window.map((w) => [w.rel, w.offset]));
    for (let i = 0; i < r.drawn; i++) {
      const before = this.sampler.getState();
      const doc = await this.sampler.next();
      const offset = keep.get(i);
      if (offset !== undefined) this.window.push({ doc, before, draw: i, offset });
    }
    this.drawn = r.drawn;
  }

  private async fill(): Promise<void> {
    if (this.restore) {
      const r = this.restore;
      this.restore = null;
      await this.resume(r);
    }
    while (this.window.length < this.size) {
      const before = this.sampler.getState();
      const doc = await this.sampler.next();
      if (doc.images > 0 && this.options.imagesPerSequence === 0) {
        throw new DataError(
          `source \`${doc.source}\` has images but imagesPerSequence is 0 (fix: allow images per sequence or drop the source)`,
        );
      }
      this.window.push({ doc, before, draw: this.drawn++, offset: 0 });
    }
  }

  private remove(entry: Entry<S>): void {
    this.window.splice(this.window.indexOf(entry), 1);
  }

  async next(): Promise<PackedSequence> {
    const L = this.options.sequence;
    const seq: PackedSequence = {
      tokens: new Int32Array(L).fill(this.special.pad),
      lossMask: new Uint8Array(L),
      imageSlots: [],
      images: [],
      documents: [],
    };
    await this.fill();
    let pos = 0;
    const split = this.window.find((e) => e.offset > 0);
    if (split) {
      pos = this.writeContinuation(seq, split, 0);
      if (split.offset < 0) this.remove(split);
    }
    while (pos < L) {
      await this.fill();
      const space = L - pos;
      // at the start of a sequence only the oldest document may go first (rule 0)
      const candidates = pos === 0 ? this.window.slice(0, 1) : this.window;
      const fit = candidates.find(
        (e) =>
          e.doc.length <= space && imagesIn(seq) + e.doc.images <= this.options.imagesPerSequence,
      );
      if (fit) {
        pos = this.writeParts(seq, fit.doc, pos, false);
        this.remove(fit);
        continue;
      }
      const text = candidates.find((e) => e.doc.images === 0);
      if (text && space >= 2) {
        pos = this.writeSplitHead(seq, text, pos);
        break;
      }
      if (pos > 0) break;
      const first = this.window[0] as Entry<S>;
      pos = this.writeParts(seq, first.doc, 0, true);
      this.remove(first);
      break;
    }
    this.stats.padTokens += L - pos;
    seq.lossMask[0] = 0;
    this.stats.sequences++;
    return seq;
  }

  /** Writes a document from its start; with `truncate`, only while it fits (rule 4). */
  private writeParts(
    seq: PackedSequence,
    doc: TokenizedDocument,
    start: number,
    truncate: boolean,
  ): number {
    const L = this.options.sequence;
    let pos = start;
    seq.tokens[pos++] = this.special.bos;
    let dropped = false;
    for (const part of doc.parts) {
      if (dropped) {
        if (part.type === "text") this.stats.droppedTokens += part.ids.length;
        else this.stats.droppedImages++;
        continue;
      }
      if (part.type === "text") {
        const n = Math.min(part.ids.length, L - pos);
        this.writeText(seq, part.ids.subarray(0, n), pos, part.target !== false);
        pos += n;
        if (n < part.ids.length) {
          this.stats.droppedTokens += part.ids.length - n;
          dropped = true;
        }
        continue;
      }
      const per = this.options.imageTokens;
      const passes = part.passes ?? 1;
      const k = per * passes;
      if (pos + k > L || imagesIn(seq) >= this.options.imagesPerSequence) {
        this.stats.droppedImages++;
        dropped = true;
        continue;
      }
      if (part.passes === undefined) {
        seq.imageSlots.push({ start: pos, length: k, image: seq.images.length });
        seq.images.push(part.pixels);
      } else {
        const values = part.pixels.length / passes;
        for (let j = 0; j < passes; j++) {
          seq.imageSlots.push({
            start: pos + j * per,
            length: per,
            image: seq.images.length,
            pass: j,
          });
          seq.images.push(part.pixels.subarray(j * values, (j + 1) * values));
        }
      }
      seq.tokens.fill(this.special.image, pos, pos + k);
      this.stats.imageTokens += k;
      pos += k;
    }
    if (!dropped && pos < L) {
      seq.tokens[pos] = this.special.eos;
      seq.lossMask[pos] = 1;
      pos++;
    } else if (truncate) {
      this.stats.truncatedDocuments++;
      dropped = true;
    }
    seq.documents.push({
      source: doc.source,
      where: doc.where,
      start,
      end: pos,
      continued: false,
      split: false,
      truncated: dropped,
    });
    return pos;
  }

  /** `target` is a boolean for a whole run, or a 0/1 mask per id (a split conversation). */
  private writeText(
    seq: PackedSequence,
    ids: Int32Array,
    at: number,
    target: boolean | Uint8Array = true,
  ): void {
    seq.tokens.set(ids, at);
    if (target === true) seq.lossMask.fill(1, at, at + ids.length);
    else if (target !== false) seq.lossMask.set(target.subarray(0, ids.length), at);
    this.stats.textTokens += ids.length;
  }

  /**
   * A text-only document's ids (one run after tokenizeDocument, several for a conversation) and,
   * when some of them are not targets, the loss mask of each id.
   */
  private textOf(doc: TokenizedDocument): { ids: Int32Array; mask: Uint8Array | null } {
    const runs = doc.parts.flatMap((p) => (p.type === "text" ? [p] : []));
    const masked = runs.some((r) => r.target === false);
    if (runs.length === 1 && !masked)
      return { ids: (runs[0] as { ids: Int32Array }).ids, mask: null };
    const total = runs.reduce((n, r) => n + r.ids.length, 0);
    const ids = new Int32Array(total);
    const mask = masked ? new Uint8Array(total) : null;
    let at = 0;
    for (const r of runs) {
      ids.set(r.ids, at);
      if (mask && r.target !== false) mask.fill(1, at, at + r.ids.length);
      at += r.ids.length;
    }
    return { ids, mask };
  }

  /** Rule 2, head: BOS and what fits; the pending offset remembers where to continue. */
  private writeSplitHead(seq: PackedSequence, p: Entry<S>, start: number): number {
    const L = this.options.sequence;
    const { ids, mask } = this.textOf(p.doc);
    seq.tokens[start] = this.special.bos;
    const n = L - start - 1;
    this.writeText(seq, ids.subarray(0, n), start + 1, mask ?? true);
    p.offset = n;
    seq.documents.push({
      source: p.doc.source,
      where: p.doc.where,
      start,
      end: L,
      continued: false,
      split: true,
      truncated: false,
    });
    return L;
  }

  /** Rule 2, tail: continues a split document at the start of this sequence. */
  private writeContinuation(seq: PackedSequence, p: Entry<S>, start: number): number {
    const L = this.options.sequence;
    const { ids, mask } = this.textOf(p.doc);
    const rest = ids.subarray(p.offset);
    const n = Math.min(rest.length, L - start);
    this.writeText(seq, rest.subarray(0, n), start, mask?.subarray(p.offset) ?? true);
    let pos = start + n;
    const done = n === rest.length && pos < L;
    if (done) {
      seq.tokens[pos] = this.special.eos;
      seq.lossMask[pos] = 1;
      pos++;
    }
    seq.documents.push({
      source: p.doc.source,
      where: p.doc.where,
      start,
      end: pos,
      continued: true,
      split: !done,
      truncated: false,
    });
    p.offset = done ? -1 : p.offset + n;
    return pos;
  }
}
