// End to end over the synthetic corpus: packed sequences with real images, a resumed stream equal
// to the uninterrupted one, batches for the training loop, and the inspect report.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BYTE_SPECIAL,
  openDataStream,
  type DataSpec,
  type DataStreamOptions,
  type DataStreamState,
  type PackedSequence,
} from "../../src/runtime/data/index.js";
import { inspect, renderInspect, synthesize } from "../../src/runtime/data-tools/index.js";
import { collectIssues, tempDir } from "./fixtures.js";

const root = tempDir();
let spec: DataSpec;
const options: DataStreamOptions = { sequence: 96, imageTokens: 9, image: { size: 16 } };

beforeAll(async () => {
  spec = (await synthesize({ outDir: join(root, "corpus"), seed: 2, size: "tiny" })).spec;
});

async function take(
  n: number,
  state?: DataStreamState,
): Promise<{ seqs: PackedSequence[]; state: DataStreamState }> {
  const stream = openDataStream(spec, { ...options, state });
  const seqs: PackedSequence[] = [];
  for (let i = 0; i < n; i++) seqs.push(await stream.nextSequence());
  const out = JSON.parse(JSON.stringify(stream.getState())) as DataStreamState;
  await stream.close();
  return { seqs, state: out };
}

const fingerprint = (s: PackedSequence) => ({
  tokens: Array.from(s.tokens),
  mask: Array.from(s.lossMask),
  slots: s.imageSlots,
  images: s.images.map((im) => Buffer.from(im.buffer).toString("base64")),
});

describe("data stream over the synthetic corpus", () => {
  it("packs caption, interleaved and text documents with normalised images", async () => {
    const { issues, onWarning } = collectIssues();
    const stream = openDataStream(spec, { ...options, onWarning });
    const seqs: PackedSequence[] = [];
    for (let i = 0; i < 40; i++) seqs.push(await stream.nextSequence());
    await stream.close();
    expect(issues.filter((i) => i.code !== "repeated-source")).toEqual([]);
    const sources = new Set(seqs.flatMap((s) => s.documents.map((d) => d.source)));
    expect([...sources].sort()).toEqual(["caption", "interleaved", "text"]);
    for (const s of seqs) {
      expect(s.images.every((im) => im.length === 3 * 16 * 16)).toBe(true);
      expect(s.imageSlots.every((sl) => sl.length === 9)).toBe(true);
      for (const d of s.documents.filter((x) => x.source === "caption")) {
        // a caption pair reads BOS, image slots, caption text, EOS
        expect(s.tokens[d.start]).toBe(BYTE_SPECIAL.bos);
        expect(s.tokens[d.start + 1]).toBe(BYTE_SPECIAL.image);
        expect(s.tokens[d.end - 1]).toBe(BYTE_SPECIAL.eos);
      }
    }
    const stats = stream.sourceStats();
    expect(stats.map((x) => x.name)).toEqual(["caption", "interleaved", "text"]);
    expect(stats.every((x) => x.samples > 0 && x.tokens > 0)).toBe(true);
  });

  it("continues the same stream from a saved state", async () => {
    const whole = await take(30);
    for (let cut = 1; cut < 30; cut += 2) {
      const head = await take(cut);
      // a state saved before the resumed stream drew anything is the same state
      const reopened = openDataStream(spec, { ...options, state: head.state });
      expect(JSON.parse(JSON.stringify(reopened.getState()))).toEqual(head.state);
      await reopened.close();
      const tail = await take(30 - cut, head.state);
      expect([...head.seqs, ...tail.seqs].map(fingerprint)).toEqual(whole.seqs.map(fingerprint));
    }
  });

  it("collates batches row-major with batch-wide image indices", async () => {
    const stream = openDataStream(spec, options);
    const batch = await stream.nextBatch(4);
    await stream.close();
    expect(batch.tokens.length).toBe(4 * 96);
    expect(batch.images.length).toBe(batch.imageSlots.length * 3 * 16 * 16);
    batch.imageSlots.forEach((slot, i) => {
      expect(slot.image).toBe(i);
      expect(batch.tokens[slot.row * 96 + slot.start]).toBe(BYTE_SPECIAL.image);
    });
  });

  it("inspects the realised mixture and renders one sequence with <image> markers", async () => {
    const result = await inspect(spec, {
      samples: 1000,
      imageTokens: 9,
      sequence: 96,
      image: { size: 16 },
    });
    expect(result.samples).toBe(1000);
    for (const s of result.sources) expect(Math.abs(s.realised - s.declared)).toBeLessThan(0.01);
    expect(result.sources.reduce((a, s) => a + s.tokenShare, 0)).toBeCloseTo(1, 6);
    expect(result.example.rendered).toMatch(/^<bos>/);
    expect(result.example.rendered).toContain("<image>");
    const text = renderInspect(result);
    expect(text).toContain("declared");
    expect(text).toMatch(/caption\s+45\.0%\s+45\.0%/);
    expect(result.warnings.some((w) => w.includes("repeated-source"))).toBe(true);
  });
});
