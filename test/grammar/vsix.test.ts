// Packs the extension with grammar/package-vsix.mjs and reads the .vsix back with an independent
// zip reader: the entries VS Code needs are there, intact, and the manifest says the right things;
// the bundled language server, unpacked alone with no node_modules, answers an editor.
import { builtinModules } from "node:module";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  HoverRequest,
  InitializeRequest,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
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

  it("bundles the client and the server, with the stdlib and error pages the server reads", () => {
    const names = entries.map((e) => e.name);
    expect(names).toContain("extension/dist/extension.cjs");
    expect(names).toContain("extension/dist/server.mjs");
    for (const file of readdirSync(join(REPO_ROOT, "stdlib")))
      expect(
        byName(`extension/stdlib/${file}`)?.data.equals(
          readFileSync(join(REPO_ROOT, "stdlib", file)),
        ),
        file,
      ).toBe(true);
    expect(names).toContain("extension/docs/errors/MM2001.md");
    // No dependency is left to install: nothing from node_modules, and the client needs only the
    // editor's `vscode` module and Node's own.
    expect(names.filter((n) => n.includes("node_modules"))).toEqual([]);
    const client = byName("extension/dist/extension.cjs")!.data.toString("utf8");
    const required = new Set([...client.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    expect([...required].filter((m) => m !== "vscode" && !builtins.has(m))).toEqual([]);
  });

  it("has a manifest that starts the client for .mm files, with the mmc settings", () => {
    const manifest = JSON.parse(byName("extension/package.json")!.data.toString("utf8")) as {
      main: string;
      activationEvents: string[];
      engines: { vscode: string };
      contributes: {
        configuration: {
          properties: Record<string, { type: string; default: unknown; enum?: string[] }>;
        };
      };
    };
    expect(manifest.main).toBe("./dist/extension.cjs");
    expect(manifest.activationEvents).toEqual(["onLanguage:mm"]);
    const props = manifest.contributes.configuration.properties;
    expect(props["mmc.path"]).toMatchObject({ type: "string", default: "" });
    expect(props["mmc.trace.server"]).toMatchObject({
      default: "off",
      enum: ["off", "messages", "verbose"],
    });
    // vscode-languageclient 11 needs VS Code 1.91 or later.
    const client = JSON.parse(
      readFileSync(
        join(REPO_ROOT, "node_modules", "vscode-languageclient", "package.json"),
        "utf8",
      ),
    ) as { engines: { vscode: string } };
    expect(manifest.engines.vscode).toBe(client.engines.vscode);
  });

  it("runs its bundled server unpacked on its own: one file, no install step", async () => {
    const unpacked = join(dir, "unpacked");
    for (const e of entries) {
      const file = join(unpacked, e.name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, e.data);
    }
    const spec = join(dir, "spec.mm");
    const text =
      'import { ViT_L14 } from "std/encoders"\nimport { Decoder } from "std/llm"\nmodel M { llm: Decoder { width: 64, heads: 3 } }\n';
    writeFileSync(spec, text);
    const server = spawn(
      process.execPath,
      [join(unpacked, "extension", "dist", "server.mjs"), "--stdio"],
      { cwd: dir, stdio: ["pipe", "pipe", "pipe"] },
    );
    const conn = createProtocolConnection(
      new StreamMessageReader(server.stdout),
      new StreamMessageWriter(server.stdin),
    );
    const published = new Promise<PublishDiagnosticsParams>((resolve) =>
      conn.onNotification(PublishDiagnosticsNotification.type, resolve),
    );
    conn.listen();
    try {
      await conn.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
      });
      const uri = pathToFileURL(spec).href;
      await conn.sendNotification("textDocument/didOpen", {
        textDocument: { uri, languageId: "mm", version: 1, text },
      });
      const diagnostics = (await published).diagnostics;
      expect(diagnostics.map((d) => d.code).sort()).toEqual(["MM2013", "MM2207"]);
      // Its error pages and stdlib are the packed ones.
      expect(diagnostics[0]!.codeDescription?.href).toContain(
        pathToFileURL(join(unpacked, "extension", "docs", "errors")).href,
      );
      const hover = await conn.sendRequest(HoverRequest.type, {
        textDocument: { uri },
        position: { line: 0, character: 11 },
      });
      expect(JSON.stringify(hover?.contents)).toContain("parameters: 303,179,776");
    } finally {
      conn.dispose();
      server.kill();
    }
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
