// Properties of `mmc fmt` over every example, stdlib, golden and grammar-fixture file and over
// generated specs: idempotent, meaning kept (same AST without positions, same checker results),
// every comment kept in order, and no throw on mangled input.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { formatSource } from "../../src/format/format.js";
import { collectTrivia } from "../../src/format/trivia.js";
import { checkFile } from "../../src/pipeline.js";
import { fileHost } from "../../src/cli/host.js";
import { infoJson } from "../../src/cli/commands/info.js";
import type { ModuleHost } from "../../src/resolve/program.js";
import { parseText } from "../../src/syntax/parse.js";
import { specText } from "./spec-arbitrary.js";

const ROOT = join(import.meta.dirname, "..", "..");
/** More runs for a soak: `MMC_FMT_RUNS=20000 npx vitest run test/format`. */
const RUNS = Number(process.env["MMC_FMT_RUNS"] ?? 300);

function mmFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) return mmFiles(rel);
    return name.endsWith(".mm") ? [rel] : [];
  });
}

const corpus = [
  ...mmFiles("examples"),
  ...mmFiles("stdlib"),
  ...mmFiles("test/golden"),
  ...mmFiles("test/grammar/fixtures"),
].filter((f) => !f.includes(`${join("examples", "data")}`));
// A file with only warnings from the parser (MM1008, a mixed-script string) is formatted too.
const parses = corpus.filter((f) =>
  parseText(readFileSync(join(ROOT, f), "utf8")).diagnostics.every((d) => d.severity !== "error"),
);

/** The AST without positions, compared here independently of the formatter's own check. */
function meaning(text: string): string {
  const r = parseText(text);
  // Warnings (MM1008, a mixed-script string) are allowed: the file still parses.
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return JSON.stringify(r.ast.declarations, (k, v: unknown) =>
    k.endsWith("pan") ? undefined : k === "doc" ? String(v).replace(/[ \t]+$/gm, "") : v,
  );
}

function commentTexts(text: string): string[] {
  // The formatter drops white space at the end of a line comment; nothing else in a comment.
  return collectTrivia(text).comments.map((c) => c.text.replace(/[ \t]+$/, ""));
}

function format(text: string, path = "x.mm"): string {
  const r = formatSource(text, path);
  if (!r.ok)
    throw new Error(`unexpected syntax errors: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.text;
}

/** The checker's results for `file` with its text replaced by `text`: diagnostics and `info --json`. */
function checkerResults(file: string, text: string): unknown {
  const host: ModuleHost = {
    read: (p) => (p === file ? { ok: true, text } : fileHost.read(p)),
    stdlibFile: fileHost.stdlibFile,
  };
  const r = checkFile(file, host);
  return {
    diagnostics: r.diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      notes: d.notes,
      help: d.help,
      labels: d.labels.map((l) => l.message),
    })),
    info: r.checked ? infoJson(r.checked) : null,
  };
}

describe("formatting the repository's .mm files", () => {
  test("the corpus has every example and stdlib file, and most goldens parse", () => {
    expect(corpus).toEqual(expect.arrayContaining(["examples/tiny.mm", "stdlib/mm1.mm"]));
    expect(parses.length).toBeGreaterThan(60);
  });

  test.each(parses)("%s: idempotent, same AST, same comments, same checker results", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const once = format(text, file);
    expect(format(once, file)).toBe(once);
    expect(meaning(once)).toBe(meaning(text));
    expect(commentTexts(once)).toEqual(commentTexts(text));
    expect(checkerResults(file, once)).toEqual(checkerResults(file, text));
    expect(once).toMatch(/\n$/);
    expect(once).not.toMatch(/[ \t]+\n/);
  });

  test.each(corpus.filter((f) => !parses.includes(f)))(
    "%s: has syntax errors and is refused",
    (file) => {
      const text = readFileSync(join(ROOT, file), "utf8");
      const r = formatSource(text, file);
      expect(r.ok).toBe(false);
      if (!r.ok)
        expect(r.diagnostics.map((d) => d.code)).toEqual(
          parseText(text).diagnostics.map((d) => d.code),
        );
    },
  );
});

describe("formatting generated specs", () => {
  test("idempotent, same AST and the same comments in the same order", () => {
    let valid = 0;
    fc.assert(
      fc.property(specText, (text) => {
        if (parseText(text).diagnostics.length > 0) return;
        valid++;
        const once = format(text);
        expect(format(once)).toBe(once);
        expect(meaning(once)).toBe(meaning(text));
        expect(commentTexts(once)).toEqual(commentTexts(text));
        expect(once).not.toMatch(/[ \t]+\n/);
      }),
      { numRuns: RUNS },
    );
    // The generator is meant to write valid specs; a test that formats nothing proves nothing.
    expect(valid).toBeGreaterThan(RUNS * 0.75);
  });

  test("a narrow width breaks more but keeps every property", () => {
    fc.assert(
      fc.property(specText, fc.integer({ min: 10, max: 60 }), (text, width) => {
        if (parseText(text).diagnostics.length > 0) return;
        const r = formatSource(text, "x.mm", { width });
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const again = formatSource(r.text, "x.mm", { width });
        expect(again.ok && again.text).toBe(r.text);
        expect(meaning(r.text)).toBe(meaning(text));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("formatting mangled input", () => {
  const seeds = parses.map((f) => readFileSync(join(ROOT, f), "utf8"));
  const mutation = fc.oneof(
    fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(([at, len]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + s.slice(i + len);
    }),
    fc.tuple(fc.nat(), fc.nat({ max: 80 })).map(([at, len]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
    }),
    fc
      .tuple(fc.nat(), fc.string({ unit: "binary", maxLength: 12 }))
      .map(([at, junk]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + junk + s.slice(i);
      }),
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom(
          "{",
          "}",
          "[",
          "]",
          ",",
          "\n",
          "\n\n",
          " // c\n",
          "/* c */",
          "///",
          "\r\n",
          "\t",
        ),
      )
      .map(([at, p]) => (s: string) => {
        const i = at % (s.length + 1);
        return s.slice(0, i) + p + s.slice(i);
      }),
    fc.nat().map((at) => (s: string) => s.slice(0, at % (s.length + 1))),
  );

  test("never throws: formats (idempotently) or returns the syntax errors", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, muts) => {
          const text = muts.reduce((s, m) => m(s), seed);
          const r = formatSource(text, "mangled.mm");
          if (!r.ok) {
            expect(r.diagnostics.length).toBeGreaterThan(0);
            return;
          }
          expect(format(r.text, "mangled.mm")).toBe(r.text);
          expect(meaning(r.text)).toBe(meaning(text));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("never throws on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
        const r = formatSource(s, "junk.mm");
        if (r.ok) expect(format(r.text)).toBe(r.text);
      }),
      { numRuns: RUNS },
    );
  });
});
