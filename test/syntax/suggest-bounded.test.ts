// "Did you mean" stays cheap on hostile files: the bounded distance equals the full one wherever
// it matters, and a file of thousands of unknown names computes suggestions for the first 50
// only (each compares with every name in scope: 150,000 names took minutes).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { editDistance, editDistanceWithin, suggest } from "../../src/diagnostics/suggest.js";
import { MAX_SUGGESTIONS } from "../../src/resolve/references.js";
import { resolveProgram } from "../../src/resolve/program.js";

describe("bounded edit distance", () => {
  test("equals the full distance up to the limit, and limit + 1 past it", () => {
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c", "A", "_"), maxLength: 12 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 5 }), (a, b, limit) => {
        expect(editDistanceWithin(a, b, limit)).toBe(Math.min(editDistance(a, b), limit + 1));
      }),
      { numRuns: 2000 },
    );
  });

  test("a huge word is no typo of anything", () => {
    expect(suggest("x".repeat(100_000), ["x", "xx"])).toBeUndefined();
  });
});

describe("suggestions per file", () => {
  test(`only the first ${MAX_SUGGESTIONS} unknown names get a "did you mean"`, () => {
    const names = Array.from({ length: 200 }, (_, i) => `Model${i}`);
    const text = [
      'import { Decoder } from "std/llm"',
      ...names.map((n) => `model ${n} { llm: Decoder { width: 64, heads: 4 } }`),
      // Each refers to a near miss of a declared name.
      ...names.map((n, i) => `model Use${i} { llm: ${n}x }`),
    ].join("\n");
    const r = resolveProgram("memory/many.mm", {
      read: (p) => (p === "memory/many.mm" ? { ok: true, text } : { ok: false, reason: "missing" }),
      stdlibFile: (m) => `<std>/${m.slice(4)}.mm`,
    });
    const unknown = r.diagnostics.filter((d) => d.code === "MM2001");
    expect(unknown).toHaveLength(200);
    const hinted = unknown.filter((d) => d.help?.startsWith("did you mean"));
    expect(hinted).toHaveLength(MAX_SUGGESTIONS);
    expect(hinted[0]!.help).toBe("did you mean `Model0`?");
  });
});
