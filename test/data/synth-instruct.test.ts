// The synthetic instruction split: deterministic per seed, every record a valid conversation
// with no skips, colour answers that the pixels show, and the split added to an older corpus
// byte-identical to a fresh one's.
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../src/runtime/data/index.js";
import {
  addMissingInstructSplit,
  synthesize,
  type SynthResult,
} from "../../src/runtime/data-tools/index.js";
import { COLOURS, type Colour } from "../../src/runtime/data-tools/synth-scene.js";
import { readOnePass, tempDir } from "./fixtures.js";

const root = tempDir();
const SPLIT = /^(instruct\/|instruct\.jsonl$)/;
let corpus: SynthResult;

function hashFiles(dir: string, files: string[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort()) h.update(f + "\u0000").update(readFileSync(join(dir, f)));
  return h.digest("hex");
}

interface Rec {
  image: string;
  conversations: { from: string; value: string }[];
}

beforeAll(async () => {
  corpus = await synthesize({ outDir: join(root, "a"), seed: 0, size: "tiny" });
});

describe("the synthetic instruction split", () => {
  it("is the same bytes for a seed and others for another seed", async () => {
    await synthesize({ outDir: join(root, "b"), seed: 0, size: "tiny" });
    await synthesize({ outDir: join(root, "c"), seed: 1, size: "tiny" });
    const split = corpus.files.filter((f) => SPLIT.test(f));
    expect(split).toHaveLength(16 + 1);
    expect(corpus.counts.instructConversations).toBe(16);
    expect(hashFiles(join(root, "b"), split)).toBe(hashFiles(join(root, "a"), split));
    expect(hashFiles(join(root, "c"), split)).not.toBe(hashFiles(join(root, "a"), split));
  });

  it("reads as conversations with no skips, and the colour answers match the pixels", async () => {
    const dir = join(root, "a");
    const { docs, issues } = await readOnePass(dir, {
      kind: "conversation",
      format: "jsonl",
      path: "instruct.jsonl",
    });
    expect(issues).toEqual([]);
    expect(docs).toHaveLength(16);
    const records = readFileSync(join(dir, "instruct.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Rec);
    let colourAnswers = 0;
    for (const r of records) {
      expect(r.conversations[0]?.value.startsWith("<image>\n")).toBe(true);
      const decoded = await decodeImage(readFileSync(join(dir, r.image)));
      if (!decoded.ok) throw new Error(decoded.message);
      const { data } = decoded.image;
      for (let i = 0; i + 1 < r.conversations.length; i += 2) {
        if (!/^(<image>\n)?What color/.test(r.conversations[i]!.value)) continue;
        const colour = /(?:is|are) (\w+)\.$/.exec(r.conversations[i + 1]!.value)?.[1] as Colour;
        const [R, G, B] = COLOURS[colour];
        let hits = 0;
        for (let p = 0; p < data.length; p += 4)
          if (data[p] === R && data[p + 1] === G && data[p + 2] === B) hits++;
        expect(hits, r.image).toBeGreaterThan(20);
        colourAnswers++;
      }
    }
    expect(colourAnswers).toBeGreaterThan(0);
  });

  it("is added to a corpus written before the split, as a fresh corpus has it", async () => {
    const dir = join(root, "b");
    const split = corpus.files.filter((f) => SPLIT.test(f));
    rmSync(join(dir, "instruct"), { recursive: true });
    rmSync(join(dir, "instruct.jsonl"));
    expect(await addMissingInstructSplit(dir)).toBe(16);
    expect(hashFiles(dir, split)).toBe(hashFiles(join(root, "a"), split));
    expect(await addMissingInstructSplit(dir)).toBe(0);
  });
});
