// The synthetic corpus's instruction split, for supervised fine-tuning: LLaVA-style conversations
// about scenes of its own (`instruct.jsonl`, images in `instruct/`), whose answers say what the
// pixels show (count, colour, shape, places). Its own seeded stream, so no other file changes.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { encodePng } from "../data/image-decode.js";
import { mixSeed, Prng } from "../data/prng.js";
import { describeScene, randomScene, renderScene, type Scene } from "./synth-scene.js";

export const INSTRUCT_FILE = "instruct.jsonl";
export const INSTRUCT_IMAGE_DIR = "instruct";
/** Conversations per corpus size. */
export const INSTRUCT_SIZES = { tiny: 16, small: 512, medium: 2048 } as const;

const NUMBER_WORDS = ["zero", "one", "two", "three"] as const;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const noun = (s: Scene) => (s.cells.length === 1 ? s.shape : `${s.shape}s`);

/** One question about a scene and its answer, by kind. */
function exchange(scene: Scene, kind: number): [string, string] {
  const n = scene.cells.length;
  const one = n === 1;
  switch (kind) {
    case 0:
      return [`How many ${scene.shape}s are there?`, `${cap(NUMBER_WORDS[n] ?? String(n))}.`];
    case 1:
      return [
        one ? `What color is the ${scene.shape}?` : `What color are the ${scene.shape}s?`,
        `${one ? "It is" : "They are"} ${scene.colour}.`,
      ];
    case 2:
      return [
        `What shape ${one ? "is the object" : "are the objects"}?`,
        `${one ? "A" : cap(NUMBER_WORDS[n] ?? String(n))} ${noun(scene)}.`,
      ];
    case 3:
      return [
        `Where ${one ? "is the" : "are the"} ${noun(scene)}?`,
        cap(`${describeScene(scene).replace(/^.* at /, "at ")}`),
      ];
    default:
      return ["Describe the picture.", cap(describeScene(scene))];
  }
}

interface InstructRecord {
  id: string;
  image: string;
  conversations: { from: "human" | "gpt"; value: string }[];
}

/** Record `i`: one scene and 1-3 exchanges about it, the first with the `<image>` marker. */
function record(rng: Prng, i: number): { scene: Scene; record: InstructRecord } {
  const scene = randomScene(rng);
  const kinds = rng.shuffle([0, 1, 2, 3, 4]).slice(0, 1 + rng.nextInt(3));
  const id = `instruct-${String(i).padStart(6, "0")}`;
  const conversations: InstructRecord["conversations"] = [];
  for (const [k, kind] of kinds.entries()) {
    const [q, a] = exchange(scene, kind);
    conversations.push({ from: "human", value: k === 0 ? `<image>\n${q}` : q });
    conversations.push({ from: "gpt", value: a });
  }
  return { scene, record: { id, image: `${INSTRUCT_IMAGE_DIR}/${id}.png`, conversations } };
}

/**
 * Writes the split into `outDir`: the images, then `instruct.jsonl` through a temporary name (its
 * presence marks the split complete). Returns the paths written, relative to `outDir`.
 */
export async function writeInstructSplit(
  outDir: string,
  seed: number,
  conversations: number,
  px: number,
): Promise<string[]> {
  const rng = Prng.fromSeed(mixSeed(seed, 7));
  await mkdir(join(outDir, INSTRUCT_IMAGE_DIR), { recursive: true });
  const files: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < conversations; i++) {
    const { scene, record: r } = record(rng, i);
    await writeFile(join(outDir, r.image), encodePng(renderScene(scene, px)));
    files.push(r.image);
    lines.push(JSON.stringify(r));
  }
  const tmp = join(outDir, `${INSTRUCT_FILE}.tmp`);
  await writeFile(tmp, lines.join("\n") + "\n");
  await rename(tmp, join(outDir, INSTRUCT_FILE));
  files.push(INSTRUCT_FILE);
  return files;
}

/**
 * A corpus written before the instruction split existed has `synth.json` but no
 * `instruct.jsonl`: writes the split with the corpus's own seed, size and image size. Returns
 * the conversations written, or 0 when there was nothing to do.
 */
export async function addMissingInstructSplit(outDir: string): Promise<number> {
  if (existsSync(join(outDir, INSTRUCT_FILE))) return 0;
  let manifest: { seed?: unknown; size?: unknown; imageSize?: unknown } = {};
  try {
    manifest = JSON.parse(readFileSync(join(outDir, "synth.json"), "utf8")) as typeof manifest;
  } catch {
    // an unreadable manifest: the defaults `mmc data synth` uses
  }
  const seed = typeof manifest.seed === "number" ? manifest.seed : 0;
  const size =
    manifest.size === "tiny" || manifest.size === "medium" ? manifest.size : ("small" as const);
  const px = typeof manifest.imageSize === "number" ? manifest.imageSize : 64;
  await writeInstructSplit(outDir, seed, INSTRUCT_SIZES[size], px);
  return INSTRUCT_SIZES[size];
}
