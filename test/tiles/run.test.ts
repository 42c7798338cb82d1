// A tiled spec end to end: a caption JSONL of a square and a wide image through the data stream
// (variable length: 2x2 + overview and 2x1 + overview), and `mmc run` of examples/tiled.mm for
// two steps on the synthetic corpus.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseGrid, type TileGrid } from "../../src/components/tiles.js";
import {
  encodePng,
  imagesIn,
  openDataStream,
  type RgbaImage,
} from "../../src/runtime/data/index.js";
import { mmc, ROOT } from "../cli/run-mmc.js";

function flat(w: number, h: number, v: number): RgbaImage {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([v, v, v, 255], i * 4);
  return { width: w, height: h, data };
}

describe("tiled data stream", () => {
  test("a square image takes 5 slots of 4 tokens, a wide one 3, in one sequence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-tiles-"));
    writeFileSync(join(dir, "square.png"), encodePng(flat(64, 64, 10)));
    writeFileSync(join(dir, "wide.png"), encodePng(flat(64, 32, 200)));
    writeFileSync(
      join(dir, "pairs.jsonl"),
      '{"image": "square.png", "caption": "a"}\n{"image": "wide.png", "caption": "b"}\n',
    );
    const stream = openDataStream(
      {
        name: "pairs",
        baseDir: dir,
        sources: [
          { name: "caption", kind: "caption", format: "jsonl", path: "pairs.jsonl", weight: 1 },
        ],
        weighting: "samples",
        imagesPerSequence: 2,
        tokenizer: { kind: "bytes" },
        seed: 0,
      },
      {
        sequence: 64,
        imageTokens: 4,
        shuffleBuffer: 0,
        packWindow: 1,
        image: {
          size: 32,
          tiles: {
            grids: ["1x1", "2x2", "1x2", "2x1"].map((t) => parseGrid(t) as TileGrid),
            overview: true,
          },
        },
      },
    );
    const seq = await stream.nextSequence();
    expect(imagesIn(seq)).toBe(2);
    // each document: BOS, its slots, the caption byte, EOS
    const passes = seq.imageSlots.map((s) => s.pass);
    const first = seq.documents[0]!;
    const firstPasses = first.end - first.start - 3; // positions of its image
    expect([20, 12]).toContain(firstPasses);
    expect(passes).toEqual(
      firstPasses === 20 ? [0, 1, 2, 3, 4, 0, 1, 2] : [0, 1, 2, 0, 1, 2, 3, 4],
    );
    for (const s of seq.imageSlots) expect(s.length).toBe(4);
    for (const img of seq.images) expect(img.length).toBe(3 * 32 * 32);
    const batch = await stream.nextBatch(1);
    expect(batch.imageSize).toBe(32);
    expect(batch.images.length).toBe(batch.imageSlots.length * 3 * 32 * 32);
  });
});

describe("mmc run of a tiled spec", () => {
  test("examples/tiled.mm trains two steps on the synthetic corpus", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-tiled-run-"));
    const spec = join(dir, "tiled.mm");
    copyFileSync(join(ROOT, "examples", "tiled.mm"), spec);
    const r = mmc(["run", spec, "--backend", "cpu", "--steps", "2"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/finished at step 2\/2/);
    const steps = readFileSync(join(dir, "runs", "tiled", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((x) => x["type"] === "step");
    expect(steps.map((s) => s["step"])).toEqual([1, 2]);
    for (const s of steps) expect(Number.isFinite(s["loss"])).toBe(true);
  }, 240_000);
});
