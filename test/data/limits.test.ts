// Size limits applied before anything is held or decoded: forged images in shards and manifests,
// files and tar members over the byte limit, overlong lines, records naming too many images or
// pixels, oversized samples, and the shuffle buffer's byte budget. Limits are lowered here so the
// tests stay small; the defaults are in src/runtime/data/limits.ts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import fc from "fast-check";
import { PNG } from "pngjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RawRecord } from "../../src/runtime/data/document.js";
import {
  DataError,
  Prng,
  readTar,
  TarFormatError,
  type TarEntry,
} from "../../src/runtime/data/index.js";
import { writeTar } from "../../src/runtime/data-tools/index.js";
import { readLines, type Line } from "../../src/runtime/data/line-reader.js";
import { shuffleRecords } from "../../src/runtime/data/source-stream.js";
import { readOnePass, solidPng, tempDir, writeJsonl } from "./fixtures.js";
import { forgedJpeg, forgedPng, forgedWebp } from "./forged-images.js";

const dir = tempDir();
afterEach(() => vi.restoreAllMocks());

const codes = (issues: { code: string; position?: string }[]) =>
  issues.map((i) => [i.code, i.position]);

describe("forged images in data", () => {
  it("a shard of four PNGs claiming 20000x20000 finishes with four skips, none decoded", async () => {
    const decode = vi.spyOn(PNG.sync, "read");
    const entries = [];
    for (let i = 0; i < 4; i++) {
      entries.push({ name: `00${i}.png`, data: forgedPng(20000, 20000) });
      entries.push({ name: `00${i}.txt`, data: Buffer.from("forged") });
    }
    const good = solidPng([5, 5, 5]);
    entries.push({ name: "good.png", data: good });
    entries.push({ name: "good.txt", data: Buffer.from("real") });
    writeFileSync(join(dir, "forged.tar"), writeTar(entries));
    const { docs, issues } = await readOnePass(dir, {
      kind: "caption",
      format: "webdataset",
      path: "forged.tar",
    });
    expect(docs).toHaveLength(1);
    expect(issues.map((i) => i.code)).toEqual(Array(4).fill("image-too-large"));
    expect(issues.map((i) => i.position).sort()).toEqual(
      [0, 1, 2, 3].map((i) => `entry \`00${i}.png\` at byte ${i * 2048}`),
    );
    // only the good one reaches the decoder (once per pass read)
    expect(decode).toHaveBeenCalled();
    for (const [bytes] of decode.mock.calls) expect(Buffer.compare(bytes, good)).toBe(0);
  });

  it("skips forged PNG, JPEG and WebP files named by a caption manifest", async () => {
    writeFileSync(join(dir, "f.png"), forgedPng(20000, 20000));
    writeFileSync(join(dir, "f.jpg"), forgedJpeg(60000, 60000));
    writeFileSync(join(dir, "f.webp"), forgedWebp(16384, 16384));
    writeJsonl(
      join(dir, "forged.jsonl"),
      ["f.png", "f.jpg", "f.webp"].map((image) => ({ image, caption: "x" })),
    );
    const { issues } = await readOnePass(dir, {
      kind: "caption",
      format: "jsonl",
      path: "forged.jsonl",
    });
    expect(issues.map((i) => [i.code, i.position, i.message.split(" by ")[0]])).toEqual([
      ["image-too-large", "line 1 (`f.png`)", "image is 20000x20000 (400 MP)"],
      ["image-too-large", "line 2 (`f.jpg`)", "image is 60000x60000 (3600 MP)"],
      ["image-too-large", "line 3 (`f.webp`)", "image is 16384x16384 (269 MP)"],
      [
        "empty-source",
        undefined,
        "a whole pass over the source found no usable sample; it is left out of the mixture",
      ],
    ]);
  });

  it("is an error in strict mode", async () => {
    await expect(
      readOnePass(
        dir,
        { kind: "caption", format: "jsonl", path: "forged.jsonl" },
        { strict: true },
      ),
    ).rejects.toThrow(/forged\.jsonl: line 1 \(`f\.png`\): image is 20000x20000/);
  });
});

describe("byte limits", () => {
  it("refuses an image file over the byte limit without reading it", async () => {
    writeFileSync(join(dir, "big.png"), Buffer.concat([solidPng([1, 1, 1]), Buffer.alloc(3000)]));
    writeJsonl(join(dir, "big.jsonl"), [{ image: "big.png", caption: "x" }]);
    const { issues } = await readOnePass(
      dir,
      { kind: "caption", format: "jsonl", path: "big.jsonl" },
      { limits: { fileBytes: 2048 } },
    );
    expect(issues[0]).toMatchObject({ code: "file-too-large", position: "line 1" });
    expect(issues[0]?.message).toMatch(
      /^path `big\.png` is 3 KiB, over the 2 KiB limit for one file$/,
    );
  });

  it("skips a tar member over the limit unread, and names it", async () => {
    writeFileSync(
      join(dir, "member.tar"),
      writeTar([
        { name: "a.png", data: Buffer.concat([solidPng([1, 1, 1]), Buffer.alloc(5000)]) },
        { name: "a.txt", data: Buffer.from("x") },
      ]),
    );
    const { issues } = await readOnePass(
      dir,
      { kind: "caption", format: "webdataset", path: "member.tar" },
      { limits: { fileBytes: 4096 } },
    );
    expect(codes(issues)[0]).toEqual(["file-too-large", "entry `a.png` at byte 0"]);
  });

  it("does not hold a tar member whose header claims more than the archive has", async () => {
    const tar = writeTar([{ name: "a.png", data: Buffer.alloc(10) }]);
    tar.write(`${(8 * 2 ** 30).toString(8).padStart(11, "0")}\0`, 124, "latin1"); // 8 GiB
    fixChecksum(tar, 0);
    const got: TarEntry[] = [];
    const err = await (async () => {
      for await (const e of readTar(Readable.from([tar]))) got.push(e);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarFormatError);
    expect((err as Error).message).toMatch(/truncated/);
    expect(got).toEqual([]);
  });

  it("refuses a pax header over 1 MiB or with a size that is not a whole number", async () => {
    const pax = (body: string) => {
      const tar = writeTar([
        { name: "PaxHeader", data: Buffer.from(body) },
        { name: "a.txt", data: Buffer.from("x") },
      ]);
      tar[156] = "x".charCodeAt(0);
      fixChecksum(tar, 0);
      return tar;
    };
    const read = async (tar: Buffer) => {
      for await (const e of readTar(Readable.from([tar]))) void e;
    };
    const big = pax("x".repeat(10));
    big.write(`${(2 * 2 ** 20).toString(8).padStart(11, "0")}\0`, 124, "latin1");
    fixChecksum(big, 0);
    await expect(read(big)).rejects.toThrow(/extended header claims 2 MiB, over the 1 MiB limit/);
    await expect(read(pax("16 size=1e999\n"))).rejects.toThrow(/bad size field/);
  });
});

describe("line limits", () => {
  it("skips an overlong line in any JSONL kind and keeps reading after it", async () => {
    const long = JSON.stringify({ text: "y".repeat(5000), texts: [], images: [] });
    writeJsonl(join(dir, "long.jsonl"), ['{"text": "before"}', long, '{"text": "after"}']);
    const limits = { lineBytes: 1024 };
    const text = await readOnePass(
      dir,
      { kind: "text", format: "jsonl", path: "long.jsonl" },
      { limits },
    );
    expect(text.docs.map((d) => d.parts[0]?.type === "text" && d.parts[0].text)).toEqual([
      "before",
      "after",
    ]);
    expect(codes(text.issues)).toEqual([["line-too-long", "line 2"]]);
    expect(text.issues[0]?.message).toMatch(/^line is 4\.9 KiB, over the 1 KiB limit/);
    for (const kind of ["caption", "interleaved"] as const) {
      const r = await readOnePass(dir, { kind, format: "jsonl", path: "long.jsonl" }, { limits });
      expect(codes(r.issues)).toContainEqual(["line-too-long", "line 2"]);
    }
    writeFileSync(join(dir, "long.txt"), `para one\n\n${"z".repeat(5000)}\nstill\n\nlast\n`);
    const plain = await readOnePass(
      dir,
      { kind: "text", format: "text", path: "long.txt" },
      { limits },
    );
    expect(plain.docs.map((d) => d.parts[0]?.type === "text" && d.parts[0].text)).toEqual([
      "para one",
      "still",
      "last",
    ]);
    expect(codes(plain.issues)).toEqual([["line-too-long", "line 3"]]);
  });

  it("splits any text into the same lines whatever the chunks, flagging long ones by size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("\n", "\r\n", "é\n")), {
          maxLength: 30,
        }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 40 }),
        async (pieces, sizes, limit) => {
          const bytes = Buffer.from(pieces.join(""));
          const chunks: Buffer[] = [];
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const n = sizes[k % sizes.length]!;
            chunks.push(bytes.subarray(at, at + n));
            at += n;
          }
          const want = bytes.length === 0 ? [] : bytes.toString().split("\n");
          if (want.length > 0 && want[want.length - 1] === "") want.pop();
          const got: Line[] = [];
          for await (const line of readLines(Readable.from(chunks), false, limit)) got.push(line);
          expect(got.map((l) => l.lineNo)).toEqual(want.map((_, i) => i + 1));
          want.forEach((text, i) => {
            const size = Buffer.byteLength(text);
            if (size > limit) expect(got[i]).toMatchObject({ text: "", tooLong: size });
            else expect(got[i]?.text).toBe(text.replace(/\r$/, ""));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("record limits", () => {
  it("refuses an interleaved document naming more images than the limit", async () => {
    writeFileSync(join(dir, "s.png"), solidPng([3, 3, 3]));
    writeJsonl(join(dir, "many.jsonl"), [
      { texts: ["a", null, null, null, null], images: [null, "s.png", "s.png", "s.png", "s.png"] },
      { texts: ["b", null], images: [null, "s.png"] },
    ]);
    const r = await readOnePass(
      dir,
      { kind: "interleaved", format: "jsonl", path: "many.jsonl" },
      { limits: { imagesPerRecord: 3 } },
    );
    expect(r.docs).toHaveLength(1);
    expect(codes(r.issues)).toEqual([["record-too-large", "line 1"]]);
    expect(r.issues[0]?.message).toMatch(/names 4 images, over the limit of 3/);
  });

  it("refuses an interleaved document whose images add up to more pixels than the limit", async () => {
    // 8x8 images: two fit in 150 pixels, the third does not
    writeJsonl(join(dir, "pixels.jsonl"), [
      { texts: ["a", null, null, null], images: [null, "s.png", "s.png", "s.png"] },
      { texts: ["b", null, null], images: [null, "s.png", "s.png"] },
    ]);
    const r = await readOnePass(
      dir,
      { kind: "interleaved", format: "jsonl", path: "pixels.jsonl" },
      { limits: { recordMegapixels: 150e-6 } },
    );
    expect(r.docs.map((d) => d.parts.length)).toEqual([3]);
    expect(codes(r.issues)).toEqual([["record-too-large", "line 1, images[3] (`s.png`)"]]);
  });

  it("refuses a WebDataset sample with too many members or bytes, letting its data go", async () => {
    const members = (key: string, n: number, size = 1) =>
      Array.from({ length: n }, (_, i) => ({ name: `${key}.${i}.bin`, data: Buffer.alloc(size) }));
    writeFileSync(
      join(dir, "sample.tar"),
      writeTar([
        ...members("many", 6),
        ...members("heavy", 2, 3000),
        { name: "ok.png", data: solidPng([1, 1, 1]) },
        { name: "ok.txt", data: Buffer.from("fine") },
      ]),
    );
    const r = await readOnePass(
      dir,
      { kind: "caption", format: "webdataset", path: "sample.tar" },
      { limits: { sampleMembers: 4, sampleBytes: 4096 } },
    );
    expect(r.docs).toHaveLength(1);
    expect(r.issues.map((i) => [i.code, i.position, i.message]).sort()).toEqual([
      [
        "record-too-large",
        "sample `heavy` at byte 6144",
        "the sample's members add up to more than 4 KiB; it is skipped",
      ],
      [
        "record-too-large",
        "sample `many` at byte 0",
        "the sample has more than 4 members; it is skipped",
      ],
    ]);
  });

  it("the shuffle buffer gives records out early rather than hold more than its byte budget", async () => {
    let pulled = 0;
    let given = 0;
    let most = 0;
    async function* records(): AsyncGenerator<RawRecord> {
      for (let i = 0; i < 200; i++) {
        pulled++;
        most = Math.max(most, pulled - given);
        yield { where: String(i), bytes: 10, load: async () => null };
      }
    }
    const out: string[] = [];
    for await (const r of shuffleRecords(records(), 100, Prng.fromSeed(1), 35)) {
      given++;
      out.push(r.where);
    }
    expect(out.map(Number).sort((a, b) => a - b)).toEqual([...Array(200).keys()]);
    expect(most).toBeLessThanOrEqual(4);
    expect(out.map(Number)).not.toEqual([...Array(200).keys()]); // still shuffled
  });
});

describe("strict mode", () => {
  it("turns a limit into an error naming the file and line", async () => {
    const err = await readOnePass(
      dir,
      { kind: "text", format: "jsonl", path: "long.jsonl" },
      { limits: { lineBytes: 1024 }, strict: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/long\.jsonl: line 2: line is 4\.9 KiB/);
  });
});

function fixChecksum(buf: Buffer, at: number): void {
  buf.fill(32, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += buf[at + i] ?? 0;
  buf.write(sum.toString(8).padStart(6, "0") + "\u0000 ", at + 148, "latin1");
}
