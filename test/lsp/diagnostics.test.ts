// Diagnostics through the protocol: for every golden case and example, the server publishes the
// same codes, positions and messages as `mmc check --format json` (more where a syntax error
// would make `mmc check` stop: the rest of the file keeps its results), with related locations,
// the help, positions in UTF-16 units after non-ASCII text, and updates as the text changes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { MMC, ROOT, TestClient, uriOf } from "./client.js";

interface JsonDiagnostic {
  code: string;
  message: string;
  file: string;
  line: number;
  column: number;
  help?: string;
}

/**
 * `mmc check --format json` of many files in one run, grouped by the entry file: a diagnostic in
 * a file that is not itself an entry goes to the entries that import that file.
 */
function mmcCheckJson(files: readonly string[]): Map<string, JsonDiagnostic[]> {
  const r = spawnSync(
    process.execPath,
    [MMC, "check", ...files.map((f) => relative(ROOT, f)), "--format", "json"],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  const all = JSON.parse(r.stdout) as JsonDiagnostic[];
  const out = new Map<string, JsonDiagnostic[]>(files.map((f) => [f, []]));
  for (const d of all) {
    const file = resolve(ROOT, d.file);
    const entries = out.has(file)
      ? [file]
      : files.filter((f) => readFileSync(f, "utf8").includes(`"./${basename(file)}"`));
    for (const e of entries) out.get(e)!.push(d);
  }
  return out;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory()
      ? specFiles(p)
      : n.endsWith(".mm") && !n.startsWith("_")
        ? [p]
        : [];
  });
}

const key = (uri: string, line: number, column: number, code: string, message: string) =>
  `${uri}:${line}:${column} ${code} ${message}`;
const fromLsp = (uri: string, d: Diagnostic) =>
  key(
    uri,
    d.range.start.line + 1,
    d.range.start.character + 1,
    String(d.code),
    String(d.message).split("\n")[0]!,
  );

let client: TestClient;
let dir: string;
beforeAll(async () => {
  client = await TestClient.start(ROOT);
  dir = mkdtempSync(join(tmpdir(), "mmc-lsp-diag-"));
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe("diagnostics agree with `mmc check --format json`", () => {
  // An editor hands the server decoded text, so a file that is not UTF-8 arrives with U+FFFD in
  // it and MM1006 (reported when reading bytes) cannot appear.
  const files = [
    ...specFiles(join(ROOT, "test", "golden")),
    ...specFiles(join(ROOT, "examples")),
  ].filter((f) => !f.endsWith("not-utf8.mm"));
  let json: Map<string, JsonDiagnostic[]>;
  beforeAll(() => {
    json = mmcCheckJson(files);
  }, 300_000);
  it.each(files.map((f) => [relative(ROOT, f), f]))("%s", async (_rel, file) => {
    const expected = json
      .get(file)!
      .map((d) => key(uriOf(resolve(ROOT, d.file)), d.line, d.column, d.code, d.message));
    const { uri, diagnostics } = await client.open(file);
    // Diagnostics in files the entry imports are published under those files' URIs.
    const others = new Set(
      json
        .get(file)!
        .map((d) => uriOf(resolve(ROOT, d.file)))
        .filter((u) => u !== uri),
    );
    const got = diagnostics.map((d) => fromLsp(uri, d));
    for (const other of others)
      got.push(...(client.latest(other) ?? []).map((d) => fromLsp(other, d)));
    const syntaxError = expected.some((k) => / MM1\d{3} /.test(k));
    if (syntaxError) expect(got).toEqual(expect.arrayContaining(expected));
    else expect(got.sort()).toEqual(expected.sort());
    await client.close(uri);
  });
});

describe("what a diagnostic carries", () => {
  it("has the code, the help, the notes and the secondary labels as related locations", async () => {
    const file = join(ROOT, "test", "golden", "names", "duplicate-declaration.mm");
    const { uri, diagnostics } = await client.open(file);
    const [expected] = mmcCheckJson([file]).get(file)!;
    const d = diagnostics.find((x) => x.code === "MM2002")!;
    expect(d.message).toContain(`help: ${expected!.help}`);
    expect(d.relatedInformation?.[0]?.message).toBe("first declared here");
    expect(d.relatedInformation?.[0]?.location.uri).toBe(uri);
    expect(d.codeDescription?.href).toBe(uriOf(join(ROOT, "docs", "errors", "MM2002.md")));
    expect(d.source).toBe("mmc");
    await client.close(uri);
  });

  it("counts UTF-16 units: a character outside the BMP before a span moves it by two", async () => {
    const line = "model M { llm: Decoder { width: 64 } } /* 😀 é */ model N { llm: Nope }";
    const text = `import { Decoder } from "std/llm"\n${line}\n`;
    const col = line.indexOf("Nope");
    // The test means something only if code points and bytes would give other columns.
    expect([...line.slice(0, col)].length).not.toBe(col);
    expect(Buffer.byteLength(line.slice(0, col))).not.toBe(col);
    const { uri, diagnostics } = await client.open(join(dir, "utf16.mm"), text);
    const d = diagnostics.find((x) => x.code === "MM2001")!;
    expect(d.range).toEqual({
      start: { line: 1, character: col },
      end: { line: 1, character: col + 4 },
    });
    // And back: a request's position after the emoji finds the name there.
    const n = line.indexOf(" N {") + 1;
    const hover = await client.hover(uri, { line: 1, character: n });
    expect(hover?.range).toEqual({
      start: { line: 1, character: n },
      end: { line: 1, character: n + 1 },
    });
    expect(JSON.stringify(hover?.contents)).toContain("model N");
    await client.close(uri);
  });

  it("keeps the rest of the file's results while a line is broken", async () => {
    const good = [
      'import { ViT } from "std/encoders"',
      'import { AvgPool } from "std/connectors"',
      'import { Decoder } from "std/llm"',
      "model A {",
      "  image: Image[3, 64, 64]",
      "  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }",
      "  connector: AvgPool { tokens: 16, in: 32 }",
      "  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2 }",
      "}",
      "model B {",
      "  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2 }",
      "}",
      "",
    ].join("\n");
    const { uri, diagnostics } = await client.open(join(dir, "broken.mm"), good);
    const shape = diagnostics.map((d) => d.code);
    expect(shape).toContain("MM2202");
    // Break model B half-way through typing a field: the syntax error appears, A's error stays.
    const at = good.lastIndexOf("depth: 1, heads: 2 }");
    const broken = `${good.slice(0, at)}depth: }${good.slice(at + "depth: 1, heads: 2 }".length)}`;
    const after = await client.change(uri, broken);
    expect(after.map((d) => d.code)).toEqual(expect.arrayContaining(["MM2202", "MM1101"]));
    expect(after.find((d) => d.code === "MM2202")!.range).toEqual(
      diagnostics.find((d) => d.code === "MM2202")!.range,
    );
    // Fixing it brings back exactly the first result.
    expect((await client.change(uri, good)).map((d) => d.code)).toEqual(shape);
    await client.close(uri);
  });

  it("publishes the errors of an imported file that is not open under its own URI", async () => {
    const parts = join(dir, "parts.mm");
    writeFileSync(
      parts,
      'import { Decoder } from "std/llm"\nllm Small = Decoder { width: 64, heads: 3 }\n',
    );
    const main = join(dir, "main.mm");
    const text = 'import { Small } from "./parts.mm"\nmodel M { llm: Small }\n';
    const partsUri = uriOf(parts);
    const fromParts = client.nextDiagnostics(partsUri);
    const { uri } = await client.open(main, text);
    const ds = (await fromParts).diagnostics;
    expect(ds.map((d) => d.code)).toContain("MM2207");
    expect(ds[0]!.range.start.line).toBe(1);
    // Closing the entry clears them.
    const cleared = client.nextDiagnostics(partsUri);
    await client.close(uri);
    expect((await cleared).diagnostics).toEqual([]);
  });
});
