// The language server's incremental checking agrees with checking from scratch. fast-check edits
// example files at random (a keystroke, a deletion, a pasted piece of syntax, a changed number);
// after every edit, the server's state (its incremental parses and caches, carried from edit to
// edit) must give exactly what a fresh, non-incremental run gives on the same text: the same
// AST, the same diagnostics, the same checked IR; and, when the text has no syntax or name error,
// the same diagnostics as `mmc check` (the pipeline's `checkFile`, whose host has no caches).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fileHost, STDLIB_DIR } from "../../src/cli/host.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { composeMemo } from "../../src/check/model.js";
import { analyze } from "../../src/lsp/analysis.js";
import { chunkStarts, IncrementalParser } from "../../src/lsp/incremental-parse.js";
import { Workspace } from "../../src/lsp/workspace.js";
import { checkFile } from "../../src/pipeline.js";
import { resolveProgram, type ModuleHost } from "../../src/resolve/program.js";
import { SourceFile } from "../../src/source/source-file.js";
import { parseSource } from "../../src/syntax/parse.js";
import { ROOT } from "./client.js";

const EXAMPLES = ["tiny.mm", "mid.mm", "mm1-3b.mm", "recipe.mm", "sweep.mm", "tiled.mm"];
const PIECES = [
  "{",
  "}",
  "]",
  ")",
  ":",
  ",",
  "\n",
  " ",
  "model ",
  "model X { }\n",
  "encoder E = ViT { patch: 16 }\n",
  "/// doc\n",
  "// note\n",
  "/*",
  "*/",
  '"',
  "1",
  "0",
  "45%",
  "budget { params <= 1B }",
  "\u202e",
];

type Edit =
  | { kind: "insert"; at: number; piece: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "digit"; nth: number; digit: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    piece: fc.constantFrom(...PIECES),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 12 }),
  }),
  // Most keystrokes leave the file valid: a changed digit of a number.
  fc.record({
    kind: fc.constant("digit" as const),
    nth: fc.nat(),
    digit: fc.constantFrom(..."0123456789"),
  }),
);

function apply(text: string, e: Edit): string {
  if (e.kind === "digit") {
    const digits = [...text.matchAll(/[0-9]/g)].map((m) => m.index);
    if (digits.length === 0) return text;
    const i = digits[e.nth % digits.length]!;
    return text.slice(0, i) + e.digit + text.slice(i + 1);
  }
  const at = Math.floor(e.at * text.length);
  return e.kind === "insert"
    ? text.slice(0, at) + e.piece + text.slice(at)
    : text.slice(0, at) + text.slice(at + e.length);
}

/** The IR as data: a summary's `trainMemory` is a function (one per check), Maps as entries. */
function plain(x: unknown): unknown {
  return JSON.parse(
    JSON.stringify(x, (_k, v: unknown) =>
      typeof v === "function" ? "[function]" : v instanceof Map ? [...v.entries()] : v,
    ) ?? "null",
  );
}

/** Runs without the checker's memo of composed models (the server's side keeps it). */
function fromScratch<T>(fn: () => T): T {
  composeMemo.enabled = false;
  try {
    return fn();
  } finally {
    composeMemo.enabled = true;
  }
}

/** `mmc check`'s host: the document's text for its path, everything else from disk; no caches. */
function plainHost(path: string, text: string): ModuleHost & Pick<typeof fileHost, "weights"> {
  return {
    weights: fileHost.weights,
    read: (p) => (p === path ? { ok: true, text } : fileHost.read(p)),
    stdlibFile: (m) => fileHost.stdlibFile(m),
    tokenizerIds: (p) => fileHost.tokenizerIds?.(p),
  };
}

describe("incremental parse", () => {
  it("cuts at top-level declarations only, and refuses unbalanced text", () => {
    const text = 'import { A } from "x"\n/// doc\nmodel M { llm: D { model: 1 } }\ntrain T { }';
    expect(chunkStarts(text)).toEqual([0, text.indexOf("\n/// doc"), text.indexOf("\ntrain")]);
    expect(chunkStarts("model M { } }\nmodel N { }")).toBeUndefined();
    expect(chunkStarts("model M { } /* unterminated")).toBeUndefined();
  });

  it("reuses unchanged declarations and re-parses the edited one", () => {
    const path = join(ROOT, "examples", "tiny.mm");
    const text = readFileSync(path, "utf8");
    const p = new IncrementalParser();
    p.parse(new SourceFile(path, text));
    const at = text.indexOf("width:") + "width: ".length;
    const edited = `${text.slice(0, at)}9${text.slice(at)}`;
    const r = p.parse(new SourceFile(path, edited));
    expect(p.stats.whole).toBe(false);
    expect(p.stats.parsed).toBe(1);
    expect(r.ast).toEqual(parseSource(new SourceFile(path, edited)).ast);
  });

  it("equals a whole-file parse after every random edit", () => {
    const path = join(ROOT, "examples", "tiny.mm");
    const seed = readFileSync(path, "utf8");
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (edits) => {
        const p = new IncrementalParser();
        let text = seed;
        p.parse(new SourceFile(path, text));
        for (const e of edits) {
          text = apply(text, e);
          const mine = p.parse(new SourceFile(path, text));
          const whole = parseSource(new SourceFile(path, text));
          expect(mine.ast).toEqual(whole.ast);
          expect(mine.diagnostics).toEqual(whole.diagnostics);
        }
      }),
      { numRuns: 20 },
    );
  });
});

describe("incremental check", () => {
  it("gives what a check from scratch gives, over random edits to the examples", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EXAMPLES),
        fc.array(edit, { minLength: 1, maxLength: 5 }),
        (example, edits) => {
          const path = join(ROOT, "examples", example);
          const ws = new Workspace({
            disk: fileHost,
            stdlibDir: STDLIB_DIR,
            errorPage: () => undefined,
            listMmFiles: () => [],
            now: () => 0,
          });
          ws.folders = [ROOT];
          let text = readFileSync(path, "utf8");
          ws.host.setOpen(path, text);
          ws.analysisOf(path);
          for (const e of edits) {
            text = apply(text, e);
            ws.host.setOpen(path, text);
            const mine = ws.analysisOf(path);
            const fresh = fromScratch(() => analyze(path, plainHost(path, text), () => 0));
            expect(mine.program?.entry.ast).toEqual(fresh.program?.entry.ast);
            expect(mine.diagnostics).toEqual(fresh.diagnostics);
            expect(plain(mine.checked)).toEqual(plain(fresh.checked));
            if (!hasErrors(resolveProgram(path, plainHost(path, text)).diagnostics)) {
              const check = fromScratch(() => checkFile(path, plainHost(path, text)));
              expect(hasErrors(check.diagnostics)).toBe(hasErrors(mine.diagnostics));
              expect(mine.diagnostics).toEqual(check.diagnostics);
            }
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
