// Writes the synthetic starter corpus in the real formats (WebDataset caption shards, OBELICS-style
// interleaved JSONL with image files, text JSONL, a held-out caption shard, and the held-out
// images as COCO-style caption and VQAv2-style question files, and LLaVA-style conversations
// for fine-tuning), byte-identical for a given seed and size, so a fresh machine can train,
// fine-tune and evaluate at once.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodePng } from "../data/image-decode.js";
import { mixSeed, Prng } from "../data/prng.js";
import type { DataSpec } from "../data/spec.js";
import {
  COLOURS,
  describeScene,
  POSITIONS,
  randomScene,
  renderScene,
  SHAPES,
  type Scene,
} from "./synth-scene.js";
import { EVAL_IMAGE_DIR, synthEvalFiles } from "./synth-eval.js";
import { INSTRUCT_SIZES, writeInstructSplit } from "./synth-instruct.js";
import { writeTar, type TarFile } from "./tar-writer.js";

export interface SynthOptions {
  outDir: string;
  seed?: number;
  /** "tiny" (one shard of 32) is for tests; "small" is the starter corpus. */
  size?: "tiny" | "small" | "medium";
  /** Image side in pixels. Default 64. */
  imageSize?: number;
}

export interface SynthResult {
  outDir: string;
  /** Paths relative to outDir, in writing order. */
  files: string[];
  counts: {
    captionPairs: number;
    shards: number;
    interleavedDocs: number;
    interleavedImages: number;
    textLines: number;
    heldoutPairs: number;
    /** The held-out scenes again as image files, for the COCO and VQA files below. */
    heldoutImages: number;
    /** Questions in `vqa-questions.json` (ten answers each in `vqa-annotations.json`). */
    vqaQuestions: number;
    /** Reference captions in `heldout-captions.json`. */
    heldoutCaptions: number;
    /** LLaVA-style conversations in `instruct.jsonl` (one image each, in `instruct/`). */
    instructConversations: number;
  };
  /** A ready-to-use spec over the corpus: MM1's 45:45:10 caption : interleaved : text. */
  spec: DataSpec;
}

const SIZES = {
  tiny: { shards: 1, perShard: 32, interleaved: 16, text: 64, heldout: 16 },
  small: { shards: 4, perShard: 256, interleaved: 256, text: 2000, heldout: 256 },
  medium: { shards: 16, perShard: 1024, interleaved: 2048, text: 20000, heldout: 1024 },
} as const;

export function synthSpec(outDir: string, shards: number): DataSpec {
  const last = String(shards - 1).padStart(4, "0");
  return {
    name: "synthetic",
    baseDir: outDir,
    sources: [
      {
        name: "caption",
        kind: "caption",
        format: "webdataset",
        path: `caption-{0000..${last}}.tar`,
        weight: 0.45,
      },
      {
        name: "interleaved",
        kind: "interleaved",
        format: "jsonl",
        path: "interleaved.jsonl",
        weight: 0.45,
      },
      {
        name: "text",
        kind: "text",
        format: "jsonl",
        path: "text.jsonl",
        field: "text",
        weight: 0.1,
      },
    ],
    weighting: "samples",
    imagesPerSequence: 4,
    tokenizer: { kind: "bytes" },
    seed: 0,
  };
}

export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const seed = options.seed ?? 0;
  const size = SIZES[options.size ?? "small"];
  const px = options.imageSize ?? 64;
  const out = options.outDir;
  const files: string[] = [];
  const write = async (rel: string, data: Uint8Array | string) => {
    await writeFile(join(out, rel), data);
    files.push(rel);
  };
  await mkdir(join(out, "interleaved"), { recursive: true });

  const captionRng = Prng.fromSeed(mixSeed(seed, 1));
  for (let s = 0; s < size.shards; s++) {
    const entries = captionEntries(captionRng, size.perShard, s * size.perShard, px);
    await write(`caption-${String(s).padStart(4, "0")}.tar`, writeTar(entries));
  }
  const heldRng = Prng.fromSeed(mixSeed(seed, 2));
  const heldScenes: Scene[] = [];
  await write(
    "heldout-caption-0000.tar",
    writeTar(captionEntries(heldRng, size.heldout, 0, px, heldScenes)),
  );

  const docRng = Prng.fromSeed(mixSeed(seed, 3));
  const lines: string[] = [];
  let interleavedImages = 0;
  for (let d = 0; d < size.interleaved; d++) {
    const doc = interleavedDoc(docRng, d);
    for (const [i, scene] of doc.scenes.entries()) {
      await write(doc.images[i] as string, encodePng(renderScene(scene, px)));
      interleavedImages++;
    }
    lines.push(JSON.stringify({ texts: doc.texts, images: doc.imageColumn }));
  }
  await write("interleaved.jsonl", lines.join("\n") + "\n");

  const textRng = Prng.fromSeed(mixSeed(seed, 4));
  const text: string[] = [];
  for (let i = 0; i < size.text; i++) text.push(JSON.stringify({ text: sentence(textRng) }));
  await write("text.jsonl", text.join("\n") + "\n");

  // The evaluation split: the held-out scenes as image files with benchmark-format annotations.
  // Written before synth.json, which marks a complete corpus.
  await mkdir(join(out, EVAL_IMAGE_DIR), { recursive: true });
  const evalFiles = synthEvalFiles(heldScenes, seed, px);
  for (const [i, scene] of heldScenes.entries())
    await write(`${EVAL_IMAGE_DIR}/${evalFiles.imageNames[i]}`, encodePng(renderScene(scene, px)));
  await write("heldout-captions.json", evalFiles.captions);
  await write("vqa-questions.json", evalFiles.questions);
  await write("vqa-annotations.json", evalFiles.annotations);
  // The instruction split for fine-tuning, from its own stream (so nothing above changes).
  const instructConversations = INSTRUCT_SIZES[options.size ?? "small"];
  files.push(...(await writeInstructSplit(out, seed, instructConversations, px)));

  const spec = synthSpec(out, size.shards);
  // synth.json keeps the fields it had before the evaluation split, so its bytes do not change.
  const manifestCounts = {
    captionPairs: size.shards * size.perShard,
    shards: size.shards,
    interleavedDocs: size.interleaved,
    interleavedImages,
    textLines: size.text,
    heldoutPairs: size.heldout,
  };
  const counts = {
    ...manifestCounts,
    heldoutImages: heldScenes.length,
    vqaQuestions: evalFiles.counts.questions,
    heldoutCaptions: evalFiles.counts.captions,
    instructConversations,
  };
  const manifest = {
    seed,
    size: options.size ?? "small",
    imageSize: px,
    counts: manifestCounts,
    spec: { ...spec, baseDir: "." },
  };
  await write("synth.json", JSON.stringify(manifest, null, 2) + "\n");
  return { outDir: out, files, counts, spec };
}

function captionEntries(
  rng: Prng,
  n: number,
  first: number,
  px: number,
  scenes: Scene[] = [],
): TarFile[] {
  const entries: TarFile[] = [];
  for (let i = 0; i < n; i++) {
    const scene = randomScene(rng);
    scenes.push(scene);
    const key = String(first + i).padStart(6, "0");
    const caption = describeScene(scene);
    entries.push({ name: `${key}.png`, data: encodePng(renderScene(scene, px)) });
    entries.push({ name: `${key}.txt`, data: Buffer.from(caption) });
    entries.push({
      name: `${key}.json`,
      data: Buffer.from(JSON.stringify(labels(scene, caption))),
    });
  }
  return entries;
}

/** Structured labels beside each caption, for evaluation (count, colour, shape, positions). */
function labels(scene: Scene, caption: string): object {
  return {
    caption,
    colour: scene.colour,
    shape: scene.shape,
    count: scene.cells.length,
    positions: scene.cells.map((c) => POSITIONS[c]),
  };
}

const INTROS = [
  "Shapes and colours.",
  "From the shape book.",
  "Count the shapes.",
  "A lesson on places.",
];

interface InterleavedDoc {
  scenes: Scene[];
  images: string[];
  texts: (string | null)[];
  imageColumn: (string | null)[];
}

function interleavedDoc(rng: Prng, d: number): InterleavedDoc {
  const n = 1 + rng.nextInt(3);
  const scenes: Scene[] = [];
  const images: string[] = [];
  const texts: (string | null)[] = [INTROS[rng.nextInt(INTROS.length)] ?? ""];
  const imageColumn: (string | null)[] = [null];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const scene = randomScene(rng);
    const path = `interleaved/${String(d).padStart(6, "0")}-${i}.png`;
    scenes.push(scene);
    images.push(path);
    total += scene.cells.length;
    texts.push(null, `Picture ${i + 1}: ${describeScene(scene)}`);
    imageColumn.push(path, null);
  }
  texts.push(`${total === 1 ? "one shape" : `${NUMBER_WORDS[total]} shapes`} in all.`);
  imageColumn.push(null);
  return { scenes, images, texts, imageColumn };
}

const NUMBER_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
];

function sentence(rng: Prng): string {
  const colours = Object.keys(COLOURS);
  const pick = <T>(xs: readonly T[]): T => xs[rng.nextInt(xs.length)] as T;
  switch (rng.nextInt(4)) {
    case 0: {
      const a = 1 + rng.nextInt(3);
      const b = 1 + rng.nextInt(3);
      return `${NUMBER_WORDS[a]} and ${NUMBER_WORDS[b]} make ${NUMBER_WORDS[a + b]}.`;
    }
    case 1: {
      const sides: Record<string, string> = {
        circle: "no corners",
        square: "four corners",
        triangle: "three corners",
        diamond: "four corners",
      };
      const shape = pick(SHAPES);
      return `a ${shape} has ${sides[shape]}.`;
    }
    case 2:
      return `the ${pick(["top", "bottom"])} ${pick(["left", "right"])} is a corner of the picture.`;
    default:
      return `${pick(colours)} is a colour, and a ${pick(SHAPES)} is a shape.`;
  }
}
