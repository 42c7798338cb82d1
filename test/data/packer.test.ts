// Packing invariants on random documents: fixed length, loss mask on text only, image slots sized
// by the connector, documents complete and in order (or truncated by the documented rule), and a
// packer resumed from its state continuing the same sequences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BYTE_SPECIAL,
  SequencePacker,
  type PackOptions,
  type PackedSequence,
  type PackerState,
  type TokenizedDocument,
  type TokenPart,
} from "../../src/runtime/data/index.js";

const { bos, eos, pad, image } = BYTE_SPECIAL;

interface DocPlan {
  /** Text runs and image markers (-1) in order. */
  parts: (number | -1)[];
}

function makeDoc(i: number, plan: DocPlan, imageTokens: number): TokenizedDocument {
  const parts: TokenPart[] = [];
  let images = 0;
  let length = 2;
  plan.parts.forEach((p, k) => {
    if (p === -1) {
      parts.push({ type: "image", pixels: Float32Array.of(i, k), ref: `${i}/${k}` });
      images++;
      length += imageTokens;
    } else {
      parts.push({
        type: "text",
        ids: Int32Array.from({ length: p }, (_, j) => (i * 7 + j) % 256),
      });
      length += p;
    }
  });
  return { source: images ? "mm" : "text", where: `doc${i}`, parts, length, images };
}

/** The layout a whole document takes: BOS, text, image slots, EOS. */
function layout(doc: TokenizedDocument, imageTokens: number): number[] {
  const out = [bos];
  for (const p of doc.parts) {
    if (p.type === "text") out.push(...p.ids);
    else for (let k = 0; k < imageTokens; k++) out.push(image);
  }
  out.push(eos);
  return out;
}

/** Draw i is `doc<i>`, built from plan i mod n; its state is the next draw index. */
class FakeSource {
  constructor(
    readonly plans: DocPlan[],
    readonly imageTokens: number,
    public i = 0,
  ) {}
  async next(): Promise<TokenizedDocument> {
    const d = makeDoc(this.i, this.plans[this.i % this.plans.length]!, this.imageTokens);
    this.i++;
    return d;
  }
  getState(): number {
    return this.i;
  }
}

const docPlan = fc.record({
  parts: fc.array(fc.oneof(fc.integer({ min: 1, max: 90 }), fc.constant(-1 as const)), {
    minLength: 1,
    maxLength: 6,
  }),
});

const packCase = fc.record({
  plans: fc.array(docPlan, { minLength: 1, maxLength: 25 }),
  options: fc.record({
    sequence: fc.integer({ min: 24, max: 160 }),
    imageTokens: fc.integer({ min: 1, max: 20 }),
    imagesPerSequence: fc.integer({ min: 1, max: 4 }),
    window: fc.integer({ min: 1, max: 8 }),
  }),
});

async function pack(plans: DocPlan[], options: PackOptions, n: number): Promise<PackedSequence[]> {
  const packer = new SequencePacker(
    new FakeSource(plans, options.imageTokens),
    BYTE_SPECIAL,
    options,
  );
  const out: PackedSequence[] = [];
  for (let i = 0; i < n; i++) out.push(await packer.next());
  return out;
}

describe("sequence packer", () => {
  it("keeps every invariant on random documents", async () => {
    await fc.assert(
      fc.asyncProperty(packCase, async ({ plans, options }) => {
        const seqs = await pack(plans, options, 12);
        const pieces = new Map<number, number[]>();
        const placed: number[] = [];
        const cut = new Set<number>();
        for (const [si, s] of seqs.entries()) {
          expect(s.tokens.length).toBe(options.sequence);
          expect(s.lossMask.length).toBe(options.sequence);
          expect(s.lossMask[0]).toBe(0);
          expect(s.images.length).toBe(s.imageSlots.length);
          expect(s.images.length).toBeLessThanOrEqual(options.imagesPerSequence);
          const inSlot = new Uint8Array(options.sequence);
          s.imageSlots.forEach((slot, k) => {
            expect(slot.length).toBe(options.imageTokens);
            expect(slot.image).toBe(k);
            for (let t = slot.start; t < slot.start + slot.length; t++) {
              expect(inSlot[t]).toBe(0);
              inSlot[t] = 1;
            }
          });
          const wrong: number[] = [];
          for (let t = 0; t < options.sequence; t++) {
            const tok = s.tokens[t]!;
            const isTarget = tok < 256 || tok === eos;
            if ((tok === image) !== (inSlot[t] === 1)) wrong.push(t);
            if (s.lossMask[t] !== (t > 0 && isTarget ? 1 : 0)) wrong.push(t);
          }
          expect(wrong).toEqual([]);
          const first = s.documents.find((d) => !d.continued);
          if (first && s.documents[0] === first) {
            // rule 0: a sequence that does not continue a split document starts with the oldest
            let oldest = 0;
            while (placed.includes(oldest)) oldest++;
            expect(first.where).toBe(`doc${oldest}`);
          }
          let imageIndex = 0;
          for (const d of s.documents) {
            const i = Number(d.where.slice(3));
            if (!d.continued) {
              expect(placed).not.toContain(i);
              placed.push(i);
            } else expect(placed).toContain(i);
            if (d.truncated || (d.split && si === seqs.length - 1)) cut.add(i);
            pieces.set(i, [...(pieces.get(i) ?? []), ...s.tokens.subarray(d.start, d.end)]);
            for (const slot of s.imageSlots.filter((x) => x.start >= d.start && x.start < d.end)) {
              expect(s.images[slot.image]![0]).toBe(i);
              expect(slot.image).toBe(imageIndex++);
            }
          }
          const tail = Array.from(s.tokens.subarray(s.documents.at(-1)?.end ?? 0));
          expect(tail.every((t) => t === pad)).toBe(true);
        }
        // each document complete and in its own order, or a prefix when cut by the rules
        for (const i of placed) {
          const full = layout(
            makeDoc(i, plans[i % plans.length]!, options.imageTokens),
            options.imageTokens,
          );
          const got = pieces.get(i)!;
          expect(got).toEqual(cut.has(i) ? full.slice(0, got.length) : full);
        }
        // the window bounds reordering: at most window - 1 older documents are still waiting
        const newest = Math.max(...placed);
        const waiting = Array.from({ length: newest }, (_, k) => k).filter(
          (k) => !placed.includes(k),
        );
        expect(waiting.length).toBeLessThanOrEqual((options.window ?? 8) - 1);
        if (options.window === 1) expect(placed).toEqual(placed.map((_, k) => k));
      }),
      { numRuns: 150 },
    );
  });

  it("splits text-only documents without padding and never splits an image from its text", async () => {
    const options = { sequence: 32, imageTokens: 8, imagesPerSequence: 2, window: 1 };
    const [a, b, c] = await pack(
      [{ parts: [50] }, { parts: [-1, 10] }, { parts: [5] }],
      options,
      3,
    );
    expect(a!.documents.map((d) => [d.where, d.split])).toEqual([["doc0", true]]);
    expect(b!.documents.map((d) => [d.where, d.continued, d.start, d.end])).toEqual([
      ["doc0", true, 0, 20],
    ]);
    // the image document (20 positions) does not fit the 12 left, so the sequence is padded
    expect(Array.from(b!.tokens.subarray(20))).toEqual(new Array(12).fill(pad));
    expect(c!.documents.map((d) => d.where).slice(0, 2)).toEqual(["doc1", "doc2"]);
    expect(c!.imageSlots).toEqual([{ start: 1, length: 8, image: 0 }]);
  });

  it("pads less with a first-fit window than in strict draw order", async () => {
    const plans: DocPlan[] = [
      { parts: [-1, 40] },
      { parts: [-1, 20, -1, 60] },
      { parts: [-1, 30] },
      { parts: [25] },
    ];
    const padding = async (window: number) => {
      const packer = new SequencePacker(new FakeSource(plans, 16), BYTE_SPECIAL, {
        sequence: 128,
        imageTokens: 16,
        imagesPerSequence: 4,
        window,
      });
      for (let i = 0; i < 50; i++) await packer.next();
      return packer.stats.padTokens;
    };
    expect(await padding(8)).toBeLessThan((await padding(1)) / 2);
  });

  it("truncates a document longer than a sequence and counts what it dropped", async () => {
    const options = { sequence: 30, imageTokens: 10, imagesPerSequence: 2 };
    const packer = new SequencePacker(
      new FakeSource([{ parts: [-1, 3, -1, 3, -1, 40] }], 10),
      BYTE_SPECIAL,
      options,
    );
    const s = await packer.next();
    expect(s.documents).toMatchObject([{ where: "doc0", truncated: true, start: 0, end: 27 }]);
    expect(s.images.length).toBe(2);
    expect(packer.stats).toMatchObject({
      truncatedDocuments: 1,
      droppedImages: 1,
      droppedTokens: 40,
    });
    expect(s.tokens.includes(eos)).toBe(false);
  });

  it("continues the same sequences from a saved state", async () => {
    await fc.assert(
      fc.asyncProperty(
        packCase,
        fc.integer({ min: 0, max: 8 }),
        async ({ plans, options }, cut) => {
          const whole = await pack(plans, options, 10);
          const first = new SequencePacker(
            new FakeSource(plans, options.imageTokens),
            BYTE_SPECIAL,
            options,
          );
          for (let i = 0; i < cut; i++) await first.next();
          const state = JSON.parse(JSON.stringify(first.getState())) as PackerState<number>;
          const resumed = new SequencePacker(
            new FakeSource(plans, options.imageTokens, state.sampler),
            BYTE_SPECIAL,
            options,
            state,
          );
          for (let i = cut; i < 10; i++) {
            const s = await resumed.next();
            expect(Array.from(s.tokens)).toEqual(Array.from(whole[i]!.tokens));
            expect(s.imageSlots).toEqual(whole[i]!.imageSlots);
            expect(s.images).toEqual(whole[i]!.images);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects image slots of no positions", () => {
    const options = { sequence: 16, imageTokens: 0, imagesPerSequence: 1 };
    expect(() => new SequencePacker(new FakeSource([], 0), BYTE_SPECIAL, options)).toThrow(
      /at least 1/,
    );
  });

  it("rejects a sequence too short for one image", () => {
    expect(
      () =>
        new SequencePacker(new FakeSource([], 15), BYTE_SPECIAL, {
          sequence: 16,
          imageTokens: 15,
          imagesPerSequence: 1,
        }),
    ).toThrow(/does not fit a sequence of 16/);
  });
});
