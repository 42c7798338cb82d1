import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readTar, TarFormatError, type TarEntry } from "../../src/runtime/data/index.js";
import { writeTar } from "../../src/runtime/data-tools/index.js";

async function entries(buf: Buffer, chunk = 100): Promise<TarEntry[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) chunks.push(buf.subarray(i, i + chunk));
  const out: TarEntry[] = [];
  for await (const e of readTar(Readable.from(chunks))) out.push(e);
  return out;
}

function fixChecksum(buf: Buffer, at: number): void {
  buf.fill(32, at + 148, at + 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += buf[at + i] ?? 0;
  buf.write(sum.toString(8).padStart(6, "0") + "\u0000 ", at + 148, "latin1");
}

describe("tar reader", () => {
  it("reads back what the writer wrote, across odd chunk boundaries", async () => {
    const files = [
      { name: "000001.png", data: Buffer.alloc(700, 7) },
      { name: "000001.txt", data: Buffer.from("a cat") },
      { name: "dir/000002.txt", data: Buffer.alloc(0) },
    ];
    const tar = writeTar(files);
    expect(tar.length % 512).toBe(0);
    for (const chunk of [1, 77, 512, 100000]) {
      const got = await entries(tar, chunk);
      expect(got.map((e) => e.name)).toEqual(files.map((f) => f.name));
      expect(got.map((e) => e.data?.equals(files[got.indexOf(e)]!.data))).toEqual([
        true,
        true,
        true,
      ]);
      expect(got[1]!.offset).toBe(512 + 1024);
    }
  });

  it("uses the path from a pax header", async () => {
    const long = "very/long/".repeat(12) + "sample.txt";
    const record = (len: number) => `${len} path=${long}\n`;
    let len = record(0).length;
    len = record(len).length;
    const tar = writeTar([
      { name: "PaxHeaders/x", data: Buffer.from(record(len)) },
      { name: "short.txt", data: Buffer.from("hi") },
    ]);
    tar[156] = "x".charCodeAt(0);
    fixChecksum(tar, 0);
    const got = await entries(tar);
    expect(got.map((e) => e.name)).toEqual([long]);
    expect(got[0]!.data?.toString()).toBe("hi");
  });

  it("cuts pax records by bytes, so non-ASCII names and several records read right", async () => {
    const long = "dé/日本語-😀/".repeat(8) + "sample.txt";
    const record = (key: string, value: string) => {
      const tail = ` ${key}=${value}\n`;
      let len = Buffer.byteLength(tail);
      len += String(len + String(len).length).length;
      return `${len}${tail}`;
    };
    const body = record("mtime", "1700000000.5") + record("path", long) + record("size", "2");
    const tar = writeTar([
      { name: "PaxHeaders/x", data: Buffer.from(body) },
      { name: "short.txt", data: Buffer.from("hi") },
    ]);
    tar[156] = "x".charCodeAt(0);
    fixChecksum(tar, 0);
    const got = await entries(tar);
    expect(got.map((e) => e.name)).toEqual([long]);
    expect(got[0]!.data?.toString()).toBe("hi");
  });

  it("reports a bad checksum with its byte offset", async () => {
    const tar = writeTar([
      { name: "a.txt", data: Buffer.from("x") },
      { name: "b.txt", data: Buffer.from("y") },
    ]);
    tar[1024] = 0x41; // first byte of the second header's name
    const seen: string[] = [];
    const run = async () => {
      for await (const e of readTar(Readable.from([tar]))) seen.push(e.name);
    };
    await expect(run()).rejects.toThrow(TarFormatError);
    expect(seen).toEqual(["a.txt"]);
    await expect(run()).rejects.toMatchObject({ offset: 1024 });
  });

  it("reports an archive truncated inside an entry", async () => {
    const tar = writeTar([{ name: "a.bin", data: Buffer.alloc(2000, 1) }]);
    await expect(entries(tar.subarray(0, 1500))).rejects.toThrow(/truncated/);
  });

  it("skips entries over the size limit without holding them", async () => {
    const tar = writeTar([
      { name: "big.bin", data: Buffer.alloc(5000) },
      { name: "small.txt", data: Buffer.from("ok") },
    ]);
    const out: TarEntry[] = [];
    for await (const e of readTar(Readable.from([tar]), { maxEntryBytes: 1000 })) out.push(e);
    expect(out.map((e) => [e.name, e.size, e.data === null])).toEqual([
      ["big.bin", 5000, true],
      ["small.txt", 2, false],
    ]);
  });
});
