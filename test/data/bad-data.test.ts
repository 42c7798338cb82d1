// Bad input is counted and skipped with a warning naming file and position, or thrown as a
// DataError in strict mode; a source with nothing usable never makes the stream hang.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DataError, openDataStream, Prng, type DataSpec } from "../../src/runtime/data/index.js";
import { writeTar } from "../../src/runtime/data-tools/index.js";
import { collectIssues, encodeWebp, oneSource, solidPng, tempDir, writeJsonl } from "./fixtures.js";

const dir = tempDir();
const opts = { sequence: 64, imageTokens: 4 };

function twoSources(a: DataSpec["sources"][number], b: DataSpec["sources"][number]): DataSpec {
  return { ...oneSource(dir, a), sources: [a, b] };
}

async function drain(spec: DataSpec, n: number, strict = false) {
  const { issues, onWarning } = collectIssues();
  const stream = openDataStream(spec, { ...opts, onWarning, strict });
  try {
    const seqs = [];
    for (let i = 0; i < n; i++) seqs.push(await stream.nextSequence());
    return { seqs, issues, stats: stream.sourceStats() };
  } finally {
    await stream.close();
  }
}

writeFileSync(
  join(dir, "mixed-0000.tar"),
  writeTar([
    { name: "001.png", data: solidPng([9, 9, 9]) },
    { name: "001.txt", data: Buffer.from("good") },
    { name: "002.png", data: Buffer.from("\x89PNG\r\n\x1a\nthis is not really a png") },
    { name: "002.txt", data: Buffer.from("broken image") },
    { name: "003.txt", data: Buffer.from("no image at all") },
  ]),
);
writeJsonl(join(dir, "text-bad.jsonl"), [
  '{"text": "fine"}',
  '{"text": "unterminated',
  "[1, 2]",
  '{"other": 1}',
]);
writeJsonl(join(dir, "junk.jsonl"), ["not json", "{also not"]);
writeFileSync(join(dir, "text.jsonl"), '{"text": "hello world"}\n');

describe("bad data", () => {
  it("skips a corrupt image and an incomplete sample, naming the entry", async () => {
    const { seqs, issues } = await drain(
      oneSource(dir, { kind: "caption", format: "webdataset", path: "mixed-0000.tar" }),
      3,
    );
    const corrupt = issues.find((i) => i.code === "corrupt-image");
    const incomplete = issues.find((i) => i.code === "incomplete-sample");
    expect(corrupt?.file).toMatch(/mixed-0000\.tar$/);
    expect(corrupt?.position).toBe("entry `002.png` at byte 2048");
    expect(incomplete?.position).toMatch(/sample `003`/);
    for (const s of seqs) for (const d of s.documents) expect(d.where).toMatch(/sample `001`/);
  });

  it("skips a truncated or garbled WebP, naming the entry, and throws in strict mode", async () => {
    const data = new Uint8Array(16 * 16 * 4).map((_, i) => (i % 4 === 3 ? 255 : i * 7));
    const good = await encodeWebp({ width: 16, height: 16, data });
    writeFileSync(
      join(dir, "webp-0000.tar"),
      writeTar([
        { name: "001.webp", data: good },
        { name: "001.txt", data: Buffer.from("good") },
        { name: "002.webp", data: good.subarray(0, good.length - 10) },
        { name: "002.txt", data: Buffer.from("truncated") },
        { name: "003.webp", data: Buffer.concat([good.subarray(0, 25), Buffer.alloc(100, 0x5a)]) },
        { name: "003.txt", data: Buffer.from("garbled") },
      ]),
    );
    const spec = oneSource(dir, { kind: "caption", format: "webdataset", path: "webp-0000.tar" });
    const { seqs, issues } = await drain(spec, 3);
    const corrupt = issues.filter((i) => i.code === "corrupt-image");
    expect(corrupt[0]?.file).toMatch(/webp-0000\.tar$/);
    // records are shuffled, so sort the first two reports (the sink rate-limits the rest)
    expect(
      corrupt
        .slice(0, 2)
        .map((i) => `${i.position}: ${i.message}`)
        .sort(),
    ).toEqual([
      expect.stringMatching(/^entry `002\.webp` at byte 2048: cannot decode webp: truncated/),
      "entry `003.webp` at byte 4096: cannot decode webp: damaged image data",
    ]);
    for (const s of seqs) for (const d of s.documents) expect(d.where).toMatch(/sample `001`/);
    await expect(drain(spec, 1, true)).rejects.toThrow(
      /webp-0000\.tar: entry `00[23]\.webp` at byte \d+: cannot decode webp: /,
    );
  });

  it("skips malformed JSON lines and records without the field, with line numbers", async () => {
    const { issues } = await drain(
      oneSource(dir, { kind: "text", format: "jsonl", path: "text-bad.jsonl" }),
      1,
    );
    expect(issues.slice(0, 3).map((i) => [i.code, i.position])).toEqual([
      ["malformed-json", "line 2"],
      ["bad-record", "line 3"],
      ["bad-record", "line 4"],
    ]);
    expect(issues[0]!.fix).toBeTruthy();
  });

  it("reports a missing shard once and reads the others", async () => {
    writeFileSync(
      join(dir, "ok-0001.tar"),
      writeTar([
        { name: "a.png", data: solidPng([1, 1, 1]) },
        { name: "a.txt", data: Buffer.from("x") },
      ]),
    );
    const { issues, seqs } = await drain(
      oneSource(dir, { kind: "caption", format: "webdataset", path: "ok-{0000..0001}.tar" }),
      4,
    );
    const missing = issues.filter((i) => i.code === "missing-file");
    expect(missing).toHaveLength(1);
    expect(missing[0]!.file).toMatch(/ok-0000\.tar$/);
    expect(seqs[3]!.images.length).toBeGreaterThan(0);
  });

  it("leaves an empty source out of the mixture instead of hanging", async () => {
    const spec = twoSources(
      { name: "junk", kind: "text", format: "jsonl", path: "junk.jsonl", weight: 0.5 },
      { name: "good", kind: "text", format: "jsonl", path: "text.jsonl", weight: 0.5 },
    );
    const { seqs, issues, stats } = await drain(spec, 5);
    expect(issues.some((i) => i.code === "empty-source" && i.source === "junk")).toBe(true);
    expect(stats.find((s) => s.name === "junk")).toMatchObject({ dead: true, samples: 0 });
    expect(seqs.flatMap((s) => s.documents).every((d) => d.source === "good")).toBe(true);
  });

  it("throws a DataError when no source has a usable sample", async () => {
    const spec = twoSources(
      { name: "junk", kind: "text", format: "jsonl", path: "junk.jsonl", weight: 0.5 },
      {
        name: "gone",
        kind: "caption",
        format: "webdataset",
        path: "nothing-{0..3}.tar",
        weight: 0.5,
      },
    );
    await expect(drain(spec, 1)).rejects.toThrow(/no source has any usable sample/);
  });

  it("treats an empty file as an empty source", async () => {
    writeFileSync(join(dir, "empty.jsonl"), "");
    await expect(
      drain(oneSource(dir, { kind: "text", format: "jsonl", path: "empty.jsonl" }), 1),
    ).rejects.toThrow(DataError);
  });

  it("reports damaged gzip and keeps the lines before it", async () => {
    const rng = Prng.fromSeed(3);
    const word = () =>
      Array.from({ length: 24 }, () => String.fromCharCode(97 + rng.nextInt(26))).join("");
    const gz = gzipSync(
      Array.from({ length: 200 }, () => JSON.stringify({ text: word() })).join("\n"),
    );
    writeFileSync(join(dir, "cut.jsonl.gz"), gz.subarray(0, Math.floor(gz.length / 2)));
    const { issues, stats } = await drain(
      oneSource(dir, { kind: "text", format: "jsonl", path: "cut.jsonl.gz" }),
      150,
    );
    expect(issues.some((i) => i.code === "corrupt-gzip" && /line \d+/.test(i.position ?? ""))).toBe(
      true,
    );
    expect(stats[0]!.samples).toBeGreaterThan(0);
  });

  it("reports a damaged tar shard at its byte offset and keeps the samples before it", async () => {
    const tar = writeTar([
      { name: "a.png", data: solidPng([1, 1, 1]) },
      { name: "a.txt", data: Buffer.from("before") },
      { name: "b.png", data: solidPng([2, 2, 2]) },
      { name: "b.txt", data: Buffer.from("after") },
    ]);
    tar.fill(0x7a, 2048, 2048 + 100);
    writeFileSync(join(dir, "damaged.tar"), tar);
    const { issues, seqs } = await drain(
      oneSource(dir, { kind: "caption", format: "webdataset", path: "damaged.tar" }),
      2,
    );
    expect(issues.find((i) => i.code === "corrupt-archive")?.position).toMatch(/^byte \d+$/);
    expect(seqs.flatMap((s) => s.documents).every((d) => /sample `a`/.test(d.where))).toBe(true);
  });

  it("throws a DataError naming file, position and fix in strict mode", async () => {
    const spec = oneSource(dir, { kind: "text", format: "jsonl", path: "text-bad.jsonl" });
    const err = await drain(spec, 1, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    const message = (err as DataError).message;
    expect(message).toMatch(/text-bad\.jsonl: line 2: invalid JSON/);
    expect(message).toMatch(/fix: /);
    expect((err as DataError).issue?.code).toBe("malformed-json");
  });

  it("throws in strict mode for a missing shard", async () => {
    const spec = oneSource(dir, {
      kind: "caption",
      format: "webdataset",
      path: "ok-{0000..0001}.tar",
    });
    await expect(drain(spec, 1, true)).rejects.toThrow(/ok-0000\.tar: file does not exist/);
  });
});
