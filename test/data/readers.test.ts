// Each source format read end to end through a one-source stream, from fixtures written here.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import {
  encodePng,
  IssueSink,
  SourceStream,
  type DataIssue,
  type SourceDocument,
  type SourceSpec,
} from "../../src/runtime/data/index.js";
import { writeTar } from "../../src/runtime/data-tools/index.js";
import { DEFAULT_IMAGE_OPTIONS } from "../../src/runtime/data/spec.js";
import { encodeWebp, solidPng, tempDir, writeJsonl } from "./fixtures.js";

const dir = tempDir();

/** Documents of one pass over a source. */
async function onePass(
  source: Omit<SourceSpec, "weight" | "name">,
): Promise<{ docs: SourceDocument[]; issues: DataIssue[] }> {
  const issues: DataIssue[] = [];
  const spec: SourceSpec = { name: "s", weight: 1, ...source };
  const ctx = {
    spec,
    issues: new IssueSink({ onWarning: (i) => void (stream.epoch === 0 && issues.push(i)) }),
    image: { ...DEFAULT_IMAGE_OPTIONS, size: 4 },
    reported: new Set<string>(),
  };
  const stream = new SourceStream(ctx, dir, 0, 0);
  const docs: SourceDocument[] = [];
  while (stream.epoch === 0 && !stream.dead) {
    const doc = await stream.next();
    if (doc && stream.epoch === 0) docs.push(doc);
  }
  await stream.close();
  return { docs, issues };
}

const shape = (d: SourceDocument) =>
  d.parts.map((p) => (p.type === "text" ? p.text : `<img ${p.pixels.length}>`));

describe("source readers", () => {
  it("reads WebDataset shards with brace ranges, .txt and .json captions, PNG and JPEG", async () => {
    const jpg = jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 200) }, 90).data;
    writeFileSync(
      join(dir, "wds-0000.tar"),
      writeTar([
        { name: "a.png", data: solidPng([255, 0, 0]) },
        { name: "a.txt", data: Buffer.from(" a red square \n") },
        { name: "b.jpg", data: jpg },
        { name: "b.json", data: Buffer.from(JSON.stringify({ caption: "a grey square" })) },
      ]),
    );
    writeFileSync(
      join(dir, "wds-0001.tar"),
      writeTar([
        { name: "c.png", data: solidPng([0, 0, 255]) },
        { name: "c.json", data: Buffer.from(JSON.stringify({ txt: "blue" })) },
      ]),
    );
    const { docs, issues } = await onePass({
      kind: "caption",
      format: "webdataset",
      path: "wds-{0000..0001}.tar",
    });
    expect(issues).toEqual([]);
    expect(docs.map(shape).sort()).toEqual([
      ["<img 48>", "a grey square"],
      ["<img 48>", "a red square"],
      ["<img 48>", "blue"],
    ]);
  });

  it("reads a JSONL caption manifest with image paths relative to the file", async () => {
    mkdirSync(join(dir, "cap/img"), { recursive: true });
    writeFileSync(join(dir, "cap/img/x.png"), solidPng([0, 255, 0]));
    writeJsonl(join(dir, "cap/manifest.jsonl"), [
      { image: "img/x.png", caption: "green" },
      { image: "https://example.com/y.png", caption: "remote" },
    ]);
    const { docs, issues } = await onePass({
      kind: "caption",
      format: "jsonl",
      path: "cap/manifest.jsonl",
    });
    expect(docs.map(shape)).toEqual([["<img 48>", "green"]]);
    expect(issues.map((i) => [i.code, i.position])).toEqual([["url-image", "line 2"]]);
  });

  it("keeps interleaved documents in order, skipping URL images", async () => {
    mkdirSync(join(dir, "il"), { recursive: true });
    writeFileSync(join(dir, "il/1.png"), solidPng([1, 2, 3]));
    writeFileSync(join(dir, "il/2.png"), solidPng([4, 5, 6]));
    writeJsonl(join(dir, "il/docs.jsonl"), [
      {
        texts: ["intro", null, "middle", null, null, "end"],
        images: [null, "1.png", null, "http://x/y.jpg", "2.png", null],
      },
    ]);
    const { docs, issues } = await onePass({
      kind: "interleaved",
      format: "jsonl",
      path: "il/docs.jsonl",
    });
    expect(docs.map(shape)).toEqual([["intro", "<img 48>", "middle", "<img 48>", "end"]]);
    expect(issues.map((i) => [i.code, i.position])).toEqual([["url-image", "line 1, images[3]"]]);
  });

  it("reads WebP from shards, caption manifests and interleaved JSONL, as PNG would", async () => {
    const img = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4) };
    for (let i = 0; i < 64; i++) img.data.set([i * 4, 255 - i * 3, (i * 37) % 256, 255], i * 4);
    const webp = await encodeWebp(img);
    mkdirSync(join(dir, "webp"), { recursive: true });
    writeFileSync(
      join(dir, "webp/wds-0000.tar"),
      writeTar([
        { name: "p.png", data: encodePng(img) },
        { name: "p.txt", data: Buffer.from("as png") },
        { name: "w.webp", data: webp },
        { name: "w.txt", data: Buffer.from("as webp") },
      ]),
    );
    writeFileSync(join(dir, "webp/x.webp"), webp);
    writeJsonl(join(dir, "webp/cap.jsonl"), [{ image: "x.webp", caption: "webp" }]);
    writeJsonl(join(dir, "webp/il.jsonl"), [{ texts: ["a", null], images: [null, "x.webp"] }]);
    const wds = await onePass({ kind: "caption", format: "webdataset", path: "webp/wds-0000.tar" });
    const cap = await onePass({ kind: "caption", format: "jsonl", path: "webp/cap.jsonl" });
    const il = await onePass({ kind: "interleaved", format: "jsonl", path: "webp/il.jsonl" });
    for (const r of [wds, cap, il]) expect(r.issues).toEqual([]);
    const pixels = (d: SourceDocument | undefined) =>
      d?.parts.flatMap((p) => (p.type === "image" ? [Array.from(p.pixels)] : []))[0];
    const captioned = (text: string) =>
      wds.docs.find((d) => d.parts.some((p) => p.type === "text" && p.text === text));
    const fromPng = pixels(captioned("as png"));
    expect(fromPng).toHaveLength(48);
    expect(pixels(captioned("as webp"))).toEqual(fromPng);
    expect(cap.docs.map(shape)).toEqual([["<img 48>", "webp"]]);
    expect(pixels(cap.docs[0])).toEqual(fromPng);
    expect(il.docs.map(shape)).toEqual([["a", "<img 48>"]]);
    expect(pixels(il.docs[0])).toEqual(fromPng);
  });

  it("reads text JSONL with a chosen field, gzip-compressed", async () => {
    const body = ['{"body": "first"}', '{"body": "second"}', ""].join("\n");
    writeFileSync(join(dir, "t.jsonl.gz"), gzipSync(body));
    const { docs } = await onePass({
      kind: "text",
      format: "jsonl",
      path: "t.jsonl.gz",
      field: "body",
    });
    expect(docs.map(shape)).toEqual([["first"], ["second"]]);
  });

  it("reads plain text files, one document per blank-line-separated block", async () => {
    writeFileSync(join(dir, "plain.txt"), "line one\nline two\n\n\nsecond doc\r\n\nthird");
    const { docs } = await onePass({ kind: "text", format: "text", path: "plain.txt" });
    expect(docs.map(shape)).toEqual([["line one\nline two"], ["second doc"], ["third"]]);
    expect(docs.map((d) => d.where.split(": ")[1])).toEqual(["line 1", "line 5", "line 7"]);
  });

  it("rejects a kind and format that do not go together", async () => {
    await expect(
      onePass({ kind: "interleaved", format: "webdataset", path: "x.tar" }),
    ).rejects.toThrow(/cannot be read from format/);
  });
});
