// Every .mm file in the repository (examples/, stdlib/, and the grammar's own fixtures) must
// highlight the way the compiler's lexer reads it; files are found at test time.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/source/source-file.js";
import { parseSource } from "../../src/syntax/parse.js";
import { disagreements, invalidScopes } from "./lexer-agreement.js";
import { REPO_ROOT, tokenize } from "./tm-engine.js";

/** The .mm files under a folder, skipping generated and data folders and never following links. */
function mmFilesUnder(folder: string): string[] {
  const dir = join(REPO_ROOT, folder);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isSymbolicLink() || e.name.startsWith(".") || e.name === "node_modules") continue;
      if (e.isDirectory()) {
        if (e.name !== "data" && e.name !== "runs") walk(join(d, e.name));
      } else if (e.name.endsWith(".mm")) out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

const files = [
  ...mmFilesUnder("test/grammar/fixtures"),
  ...mmFilesUnder("examples"),
  ...mmFilesUnder("stdlib"),
].map((file) => relative(REPO_ROOT, file));

describe("every .mm file in the repository", () => {
  it("includes the grammar fixture", () => {
    expect(files).toContain(join("test", "grammar", "fixtures", "all-syntax.mm"));
  });

  it.each(files.filter((f) => f.startsWith(join("test", "grammar"))))(
    "%s: is valid .mm syntax (so the fixture tests real code)",
    (file) => {
      const text = readFileSync(join(REPO_ROOT, file), "utf8");
      expect(parseSource(new SourceFile(file, text)).diagnostics).toEqual([]);
    },
  );

  it.each(files)("%s: the grammar agrees with the lexer", async (file) => {
    const text = readFileSync(join(REPO_ROOT, file), "utf8");
    expect(disagreements(text, await tokenize(text))).toEqual([]);
  });

  it.each(files)("%s: nothing is scoped invalid", async (file) => {
    const text = readFileSync(join(REPO_ROOT, file), "utf8");
    expect(invalidScopes(await tokenize(text))).toEqual([]);
  });
});
