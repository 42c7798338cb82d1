// The synthetic corpus: byte-identical per seed, in the real formats, and with captions that
// follow from the pixels (colour, count and positions checked on the decoded images).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { decodeImage, Prng, readTar, type TarEntry } from "../../src/runtime/data/index.js";
import {
  describeScene,
  randomScene,
  renderScene,
  synthesize,
} from "../../src/runtime/data-tools/index.js";
import {
  COLOURS,
  POSITIONS,
  SHAPES,
  type Colour,
  type Shape,
} from "../../src/runtime/data-tools/synth-scene.js";
import { tempDir } from "./fixtures.js";

const root = tempDir();

function listing(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p)));
    }
  };
  walk("");
  return out;
}

async function tarEntries(path: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  for await (const e of readTar(Readable.from([readFileSync(path)]))) out.push(e);
  return out;
}

describe("synthesize", () => {
  it("writes byte-identical files for the same seed and different ones for another", async () => {
    const a = await synthesize({ outDir: join(root, "a"), seed: 3, size: "tiny" });
    await synthesize({ outDir: join(root, "b"), seed: 3, size: "tiny" });
    await synthesize({ outDir: join(root, "c"), seed: 4, size: "tiny" });
    const la = listing(join(root, "a"));
    const lb = listing(join(root, "b"));
    expect([...la.keys()].sort()).toEqual([...a.files].sort());
    expect([...lb.keys()].sort()).toEqual([...la.keys()].sort());
    for (const [k, v] of la) expect(v.equals(lb.get(k)!), k).toBe(true);
    const lc = listing(join(root, "c"));
    expect(lc.get("caption-0000.tar")!.equals(la.get("caption-0000.tar")!)).toBe(false);
    expect(a.counts).toMatchObject({ captionPairs: 32, shards: 1, heldoutPairs: 16 });
    expect(a.files).toContain("heldout-caption-0000.tar");
  });

  it("captions state the colour, count and positions that the pixels show", async () => {
    const entries = await tarEntries(join(root, "a", "caption-0000.tar"));
    const byKey = new Map<string, Map<string, Buffer>>();
    for (const e of entries) {
      const [key = "", ext = ""] = e.name.split(".");
      if (!byKey.has(key)) byKey.set(key, new Map());
      byKey.get(key)!.set(ext, e.data!);
    }
    expect(byKey.size).toBe(32);
    for (const files of byKey.values()) {
      const label = JSON.parse(files.get("json")!.toString()) as {
        caption: string;
        colour: Colour;
        count: number;
        positions: string[];
      };
      expect(files.get("txt")!.toString()).toBe(label.caption);
      const decoded = await decodeImage(files.get("png")!);
      if (!decoded.ok) throw new Error(decoded.message);
      const { data, width } = decoded.image;
      const rgb = COLOURS[label.colour];
      const occupied = POSITIONS.filter((_, cell) => {
        const cx = Math.floor(((cell % 3) * 2 + 1) * (width / 6));
        const cy = Math.floor((Math.floor(cell / 3) * 2 + 1) * (width / 6));
        const p = (cy * width + cx) * 4;
        return data[p] === rgb[0] && data[p + 1] === rgb[1] && data[p + 2] === rgb[2];
      });
      expect(occupied).toEqual(label.positions);
      expect(occupied.length).toBe(label.count);
      expect(label.caption).toContain(label.colour);
    }
  });

  it("gives each shape a different footprint, so the shape word is learnable", () => {
    const areas = SHAPES.map((shape: Shape) => {
      const img = renderScene({ colour: "red", shape, cells: [4], jitter: [[0, 0]] }, 64);
      let n = 0;
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === COLOURS.red[0]) n++;
      return n;
    });
    expect(new Set(areas).size).toBe(SHAPES.length);
  });

  it("describes counts and positions in words", () => {
    expect(describeScene({ colour: "blue", shape: "square", cells: [0, 4, 8], jitter: [] })).toBe(
      "three blue squares at the top left, the center and the bottom right.",
    );
    expect(describeScene({ colour: "red", shape: "circle", cells: [5], jitter: [] })).toBe(
      "a red circle at the right.",
    );
    const rng = Prng.fromSeed(1);
    for (let i = 0; i < 200; i++) {
      const s = randomScene(rng);
      expect(s.cells.length).toBeGreaterThanOrEqual(1);
      expect(s.cells.length).toBeLessThanOrEqual(3);
      expect(new Set(s.cells).size).toBe(s.cells.length);
    }
  });

  it("writes interleaved documents as parallel lists with relative image paths", () => {
    const lines = readFileSync(join(root, "a", "interleaved.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(16);
    for (const line of lines) {
      const doc = JSON.parse(line) as { texts: (string | null)[]; images: (string | null)[] };
      expect(doc.texts.length).toBe(doc.images.length);
      doc.texts.forEach((t, i) => expect((t === null) !== (doc.images[i] === null)).toBe(true));
      for (const img of doc.images)
        if (img) expect(readFileSync(join(root, "a", img)).length).toBeGreaterThan(0);
    }
  });
});
