// Packs the extension with grammar/package-vsix.mjs and reads the .vsix back with an independent
// zip reader: the entries VS Code needs are there, intact, and the manifest says the right things.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./tm-engine.js";

interface ZipEntry {
  name: string;
  data: Buffer;
  crcMatches: boolean;
}

/** Reads a zip through its central directory, the way unzip and VS Code do. */
function readZip(zip: Buffer): ZipEntry[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error("no end-of-central-directory record");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central header ${n}`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    entries.push({ name, data, crcMatches: crc32(data) === crc });
    at += 46 + skip;
  }
  return entries;
}

let dir = "";
let vsix: Buffer;
let entries: ZipEntry[];
const byName = (name: string): ZipEntry | undefined => entries.find((e) => e.name === name);

function pack(out: string): Buffer {
  execFileSync(process.execPath, [join(REPO_ROOT, "grammar", "package-vsix.mjs"), "--out", out], {
    cwd: REPO_ROOT,
    stdio: "pipe",
  });
  return readFileSync(out);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mmc-vsix-"));
  vsix = pack(join(dir, "a.vsix"));
  entries = readZip(vsix);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the packaged .vsix", () => {
  it("holds the vsix metadata and every extension file, all intact", () => {
    const names = entries.map((e) => e.name);
    for (const name of [
      "[Content_Types].xml",
      "extension.vsixmanifest",
      "extension/package.json",
      "extension/mm.tmLanguage.json",
      "extension/language-configuration.json",
      "extension/snippets.json",
      "extension/README.md",
    ]) {
      expect(names).toContain(name);
    }
    expect(entries.filter((e) => !e.crcMatches).map((e) => e.name)).toEqual([]);
  });

  it("carries the extension files byte for byte", () => {
    for (const file of [
      "package.json",
      "mm.tmLanguage.json",
      "language-configuration.json",
      "snippets.json",
    ]) {
      expect(
        byName(`extension/${file}`)?.data.equals(readFileSync(join(REPO_ROOT, "grammar", file))),
        file,
      ).toBe(true);
    }
  });

  it("has a manifest with the extension's identity and engine", () => {
    const manifest = JSON.parse(
      readFileSync(join(REPO_ROOT, "grammar", "package.json"), "utf8"),
    ) as {
      name: string;
      version: string;
      publisher: string;
      engines: { vscode: string };
    };
    const xml = byName("extension.vsixmanifest")?.data.toString("utf8") ?? "";
    expect(xml).toContain(
      `<Identity Language="en-US" Id="${manifest.name}" Version="${manifest.version}" Publisher="${manifest.publisher}" />`,
    );
    expect(xml).toContain(
      `Id="Microsoft.VisualStudio.Code.Engine" Value="${manifest.engines.vscode}"`,
    );
    expect(xml).toContain(
      'Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json"',
    );
  });

  it("declares a content type for every file extension inside", () => {
    const types = byName("[Content_Types].xml")?.data.toString("utf8") ?? "";
    const extensions = new Set(entries.map((e) => /\.[^./]+$/.exec(e.name)?.[0]).filter(Boolean));
    extensions.delete(".xml"); // [Content_Types].xml describes the others, not itself
    for (const ext of extensions) expect(types).toContain(`Extension="${ext}"`);
  });

  it("is the same bytes when packed again", () => {
    expect(pack(join(dir, "b.vsix")).equals(vsix)).toBe(true);
  });

  it.skipIf(spawnSync("unzip", ["-v"]).error !== undefined)("passes `unzip -t`", () => {
    const result = spawnSync("unzip", ["-t", join(dir, "a.vsix")], { encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("No errors detected");
  });
});
