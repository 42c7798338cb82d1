// Every catalogued diagnostic code has a page in docs/errors/ (shown by `mmc explain`), titled as
// in the catalogue and laid out alike; every page there belongs to a catalogued code, or to a
// retired one, whose page says it is retired.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { allCodes, RETIRED_CODES } from "../../src/diagnostics/codes.js";

const DOCS = join(import.meta.dirname, "..", "..", "docs", "errors");
const pages = readdirSync(DOCS).filter((f) => f.endsWith(".md"));

describe("docs/errors pages", () => {
  test.each(allCodes())("$code has a page titled as in the catalogue", ({ code, title }) => {
    expect(pages).toContain(`${code}.md`);
    const text = readFileSync(join(DOCS, `${code}.md`), "utf8");
    expect(text.split("\n")[0]).toBe(`# ${code}: ${title}`);
    const sections = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(sections).toEqual(["Example", "How to fix it"]);
    expect(text).toMatch(/## Example\n\n```mm\n[^]*?\n```\n/);
  });

  test.each(RETIRED_CODES)("retired $code keeps a page saying so", ({ code, title }) => {
    expect(allCodes().map((c) => c.code)).not.toContain(code);
    const text = readFileSync(join(DOCS, `${code}.md`), "utf8");
    expect(text.split("\n")[0]).toBe(`# ${code}: ${title}`);
    expect(text).toContain("This code is retired");
  });

  test("every page belongs to a catalogued or retired code", () => {
    const known = new Set([...allCodes(), ...RETIRED_CODES].map((c) => `${c.code}.md`));
    expect(pages.filter((p) => !known.has(p))).toEqual([]);
  });
});
