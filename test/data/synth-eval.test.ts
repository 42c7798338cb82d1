// The synthetic corpus's evaluation split: the files it had before are unchanged (pinned hash),
// the new ones are deterministic, readable by the benchmark readers, and their answers and
// captions agree with the held-out scenes' labels.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { vqaAccuracy } from "../../src/metrics/index.js";
import {
  readCocoCaptions,
  readTar,
  readVqa,
  type VqaQuestion,
} from "../../src/runtime/data/index.js";
import { synthesize, type SynthResult } from "../../src/runtime/data-tools/index.js";
import { tempDir } from "./fixtures.js";

const root = tempDir();
const EVAL_FILES = /^(heldout-images\/|heldout-captions\.json$|vqa-)/;
/** The instruction split, added after the evaluation split (test/data/synth-instruct.test.ts). */
const INSTRUCT_FILES = /^(instruct\/|instruct\.jsonl$)/;

interface Label {
  caption: string;
  colour: string;
  shape: string;
  count: number;
  positions: string[];
}

let corpus: SynthResult;
let labels: Map<number, { label: Label; png: Buffer }>;

beforeAll(async () => {
  corpus = await synthesize({ outDir: join(root, "a"), seed: 0, size: "tiny" });
  labels = new Map();
  const tar = readFileSync(join(root, "a", "heldout-caption-0000.tar"));
  for await (const e of readTar(Readable.from([tar]))) {
    const [key = "", ext = ""] = e.name.split(".");
    const id = Number(key);
    const entry = labels.get(id) ?? { label: {} as Label, png: Buffer.alloc(0) };
    if (ext === "json") entry.label = JSON.parse(e.data!.toString()) as Label;
    if (ext === "png") entry.png = e.data!;
    labels.set(id, entry);
  }
});

function hashFiles(dir: string, files: string[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort()) {
    h.update(f + "\u0000");
    h.update(readFileSync(join(dir, f)));
  }
  return h.digest("hex");
}

describe("the synthetic evaluation split", () => {
  it("leaves every file the corpus had before byte-identical", () => {
    // sha256 over the sorted names and bytes of the files of `size: "tiny"`, seed 0, computed
    // with main at 0775b61, before the split existed. The training examples depend on these.
    const before = corpus.files.filter((f) => !EVAL_FILES.test(f) && !INSTRUCT_FILES.test(f));
    expect(before).toHaveLength(37);
    expect(hashFiles(join(root, "a"), before)).toBe(
      "b330a408fc8069d6b79fd95def7ebe786510c1d7e55c8a87b0d5e365da8c0ab7",
    );
  });

  it("writes the same bytes for the same seed and others for another seed", async () => {
    const same = await synthesize({ outDir: join(root, "b"), seed: 0, size: "tiny" });
    const other = await synthesize({ outDir: join(root, "c"), seed: 1, size: "tiny" });
    const split = corpus.files.filter((f) => EVAL_FILES.test(f));
    expect(split).toHaveLength(16 + 3);
    expect(same.files.filter((f) => EVAL_FILES.test(f))).toEqual(split);
    expect(hashFiles(join(root, "b"), split)).toBe(hashFiles(join(root, "a"), split));
    expect(hashFiles(join(root, "c"), split)).not.toBe(hashFiles(join(root, "a"), split));
    expect(other.counts).toMatchObject({
      heldoutImages: 16,
      vqaQuestions: 48,
      heldoutCaptions: 80,
    });
  });

  it("has the held-out scenes as COCO-named image files, byte for byte", () => {
    for (const [id, { png }] of labels) {
      const name = `COCO_heldout_${String(id).padStart(12, "0")}.png`;
      expect(readFileSync(join(root, "a", "heldout-images", name)).equals(png), name).toBe(true);
    }
  });

  it("has VQAv2-style questions whose majority answers are the scenes' truth", async () => {
    const dir = join(root, "a");
    const set = await readVqa({
      questions: join(dir, "vqa-questions.json"),
      annotations: join(dir, "vqa-annotations.json"),
      imageDir: join(dir, "heldout-images"),
      strict: true,
    });
    expect(set.subtype).toBe("heldout");
    expect(set.questions).toHaveLength(48);
    const types = new Set<string>();
    for (const q of set.questions) {
      expect(q.answers).toHaveLength(10);
      expect(q.answers!.map((a) => a.answerId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const { label } = labels.get(Number(q.imageId))!;
      expect(q.multipleChoiceAnswer, q.question).toBe(truth(q, label));
      types.add(q.answerType!);
    }
    expect([...types].sort()).toEqual(["number", "other", "yes/no"]);
  });

  it("has realistic disagreement: some answers differ, so near answers earn part credit", async () => {
    const dir = join(root, "a");
    const set = await readVqa({
      questions: join(dir, "vqa-questions.json"),
      annotations: join(dir, "vqa-annotations.json"),
      imageDir: join(dir, "heldout-images"),
    });
    const humans = set.questions.map((q) => q.answers!.map((a) => a.answer));
    const mixed = humans.filter((a) => new Set(a).size > 1);
    expect(mixed.length).toBeGreaterThan(set.questions.length / 4);
    // A minority answer scores strictly between 0 and 1 somewhere.
    const partial = humans.some((a) => {
      const minority = a.find((x) => x !== a[0]);
      const acc = minority === undefined ? 1 : vqaAccuracy(minority, a);
      return acc > 0 && acc < 1;
    });
    expect(partial).toBe(true);
  });

  it("has COCO-style captions, five per image, the first in the training wording", async () => {
    const dir = join(root, "a");
    const set = await readCocoCaptions({
      annotations: join(dir, "heldout-captions.json"),
      imageDir: join(dir, "heldout-images"),
      strict: true,
    });
    expect(set.images).toHaveLength(16);
    for (const im of set.images) {
      const { label } = labels.get(Number(im.imageId))!;
      expect(im.references).toHaveLength(5);
      expect(new Set(im.references).size).toBe(5);
      expect(im.references[0]).toBe(label.caption);
      for (const ref of im.references) expect(ref.toLowerCase()).toContain(label.colour);
    }
  });
});

const NUMBER_WORDS = ["zero", "one", "two", "three"];

/** The right answer to a generated question, from the scene's labels. */
function truth(q: VqaQuestion, label: Label): string {
  const text = q.question;
  if (text.startsWith("How many")) return String(label.count);
  if (text.startsWith("What color")) return label.colour;
  if (text.startsWith("What shape")) return label.shape;
  if (text.startsWith("Where is")) return label.positions[0]!;
  const at = /^Is there a \w+ at the (.+)\?$/.exec(text);
  if (at) return label.positions.includes(at[1]!) ? "yes" : "no";
  const exists = /^Is there an? (\w+) (\w+) in the picture\?$/.exec(text);
  if (exists) return exists[1] === label.colour && exists[2] === label.shape ? "yes" : "no";
  throw new Error(`unexpected question ${text} (${NUMBER_WORDS.length})`);
}
