// Go to definition, references and rename across files: a workspace of three files (one not
// open), imports of `std/...` (which open as the installed stdlib's files), and the refusals.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponseError } from "vscode-languageserver-protocol";
import { ROOT, TestClient, applyEdits, positionOf, uriOf } from "./client.js";

const PARTS = `import { Decoder } from "std/llm"

/// A small language model.
llm Small = Decoder { vocab: 260, width: 64, depth: 1, heads: 2 }
`;
const MAIN = `import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Small } from "./parts.mm"

model M {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 16 }
  llm: Small
}
model M2 = M { connector.tokens: 4 }
`;
const OTHER = `import { Small } from "./parts.mm"
model Other { llm: Small }
model Big { llm: Small { depth: 2 } }
`;

let dir: string;
let client: TestClient;
let main: { uri: string; text: string };
let parts: { uri: string; text: string };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mmc-lsp-nav-"));
  writeFileSync(join(dir, "parts.mm"), PARTS);
  writeFileSync(join(dir, "main.mm"), MAIN);
  writeFileSync(join(dir, "other.mm"), OTHER); // never opened: found through the workspace folder
  client = await TestClient.start(dir);
  main = await client.open(join(dir, "main.mm"));
  parts = await client.open(join(dir, "parts.mm"));
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

const at = (doc: { text: string }, needle: string, delta = 1, nth = 0) =>
  positionOf(doc.text, needle, delta, nth);

describe("go to definition", () => {
  it("follows a name to its declaration in another file", async () => {
    const [loc] = await client.definition(main.uri, at(main, "llm: Small", 6));
    expect(loc).toEqual({
      uri: parts.uri,
      range: { start: at(parts, "Small =", 0), end: at(parts, "Small =", 5) },
    });
  });

  it("follows an import's name and its module path", async () => {
    expect((await client.definition(main.uri, at(main, "{ Small }", 3)))[0]?.uri).toBe(parts.uri);
    expect((await client.definition(main.uri, at(main, '"./parts.mm"', 3)))[0]?.uri).toBe(
      parts.uri,
    );
  });

  it("follows a variant's base in the same file", async () => {
    const [loc] = await client.definition(main.uri, at(main, "= M {", 2));
    expect(loc?.range.start).toEqual(at(main, "model M {", 6));
  });

  it("opens the installed stdlib's files for `std/...` names", async () => {
    const mm1Text = `import { ViT_L14 } from "std/encoders"\nimport { Decoder } from "std/llm"\nmodel X { llm: Decoder {} }\n`;
    const doc = await client.open(join(dir, "std.mm"), mm1Text);
    const [preset] = await client.definition(doc.uri, at(doc, "ViT_L14", 2));
    expect(preset?.uri).toBe(uriOf(join(ROOT, "stdlib", "encoders.mm")));
    const encoders = readFileSync(join(ROOT, "stdlib", "encoders.mm"), "utf8").split("\n");
    expect(preset?.range.start.line).toBe(
      encoders.findIndex((l) => l.startsWith("encoder ViT_L14 ")),
    );
    expect(preset?.range.start.line).toBeGreaterThan(0);
    // A built-in kind goes to its module's file, where the kind is brought in.
    const [kind] = await client.definition(doc.uri, at(doc, "Decoder {", 2));
    expect(kind?.uri).toBe(uriOf(join(ROOT, "stdlib", "llm.mm")));
    await client.close(doc.uri);
  });
});

describe("find references", () => {
  it("finds every use across open files and the workspace's other files", async () => {
    const refs = await client.references(parts.uri, at(parts, "Small =", 1));
    const byFile = (uri: string) => refs.filter((r) => r.uri === uri).length;
    expect(byFile(parts.uri)).toBe(1); // the declaration
    expect(byFile(main.uri)).toBe(2); // the import and `llm: Small`
    expect(byFile(uriOf(join(dir, "other.mm")))).toBe(3); // not open, found on disk
    expect(refs).toHaveLength(6);
    const without = await client.references(parts.uri, at(parts, "Small =", 1), false);
    expect(without).toHaveLength(5);
  });

  it("finds a standard library name's declaration in the installed stdlib, with the uses", async () => {
    const refs = await client.references(parts.uri, at(parts, "= Decoder", 3));
    const llm = uriOf(join(ROOT, "stdlib", "llm.mm"));
    // The declaration in <std>/llm.mm, and in parts.mm the import and the use.
    expect(refs.some((r) => r.uri === llm)).toBe(true);
    expect(refs.filter((r) => r.uri === parts.uri)).toHaveLength(2);
  });

  it("finds the same symbol from a use as from its declaration", async () => {
    const fromUse = await client.references(main.uri, at(main, "llm: Small", 6));
    expect(fromUse).toHaveLength(6);
  });
});

describe("rename", () => {
  it("renames a declaration and every use, in every file", async () => {
    const prep = await client.prepareRename(main.uri, at(main, "llm: Small", 6));
    expect(prep).toMatchObject({ placeholder: "Small" });
    const edit = await client.rename(main.uri, at(main, "llm: Small", 6), "Tiny");
    const changes = edit?.changes ?? {};
    expect(Object.keys(changes).sort()).toEqual(
      [main.uri, parts.uri, uriOf(join(dir, "other.mm"))].sort(),
    );
    expect(applyEdits(main.text, changes[main.uri]!)).toBe(MAIN.replaceAll("Small", "Tiny"));
    expect(applyEdits(parts.text, changes[parts.uri]!)).toBe(PARTS.replaceAll("Small", "Tiny"));
    expect(applyEdits(OTHER, changes[uriOf(join(dir, "other.mm"))]!)).toBe(
      OTHER.replaceAll("Small", "Tiny"),
    );
  });

  const refusal = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(ResponseError);
      return (e as Error).message;
    }
    throw new Error("the server did not refuse");
  };

  it("refuses names of the standard library and built-in kinds", async () => {
    expect(await refusal(client.prepareRename(main.uri, at(main, "ViT {", 1)))).toBe(
      "`ViT` is a built-in component kind; it cannot be renamed",
    );
    const doc = await client.open(join(dir, "std2.mm"), `import { ViT_L14 } from "std/encoders"\n`);
    expect(await refusal(client.rename(doc.uri, at(doc, "ViT_L14", 1), "Mine"))).toBe(
      "`ViT_L14` is declared in the standard library (`<std>/encoders.mm`); it cannot be renamed",
    );
    await client.close(doc.uri);
  });

  it("refuses a new name that would clash or is not a name", async () => {
    expect(await refusal(client.rename(main.uri, at(main, "model M {", 6), "M2"))).toBe(
      "`M2` is already declared in `main.mm`; renaming would clash with it",
    );
    expect(await refusal(client.rename(parts.uri, at(parts, "Small =", 1), "AvgPool"))).toBe(
      "`AvgPool` is a built-in name of the language; pick another",
    );
    expect(await refusal(client.rename(main.uri, at(main, "model M {", 6), "model"))).toBe(
      "`model` is a keyword",
    );
    expect(await refusal(client.rename(main.uri, at(main, "model M {", 6), "2x"))).toContain(
      "is not a name",
    );
    // Importing a name that the new name would shadow counts as a clash too.
    expect(await refusal(client.rename(parts.uri, at(parts, "Small =", 1), "M"))).toBe(
      "`M` is already declared in `main.mm`; renaming would clash with it",
    );
  });
});
