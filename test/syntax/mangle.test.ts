// Property test: mangled specs never make the front end throw; it only reports, and quickly.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkFile } from "../../src/pipeline.js";
import { fileHost } from "../../src/cli/host.js";
import type { ModuleHost } from "../../src/resolve/program.js";
import { parseText } from "../../src/syntax/parse.js";
import { mutation, seedArb, seeds } from "./mangle-arbs.js";

/** A host that serves the mangled text as the entry file and the real standard library. */
function hostFor(text: string): ModuleHost {
  return {
    read: (path) => (path === "mangled.mm" ? { ok: true, text } : fileHost.read(path)),
    stdlibFile: fileHost.stdlibFile,
  };
}

const TIME_BOUND_MS = 2000;

function checkNeverThrows(text: string): void {
  const start = performance.now();
  const result = checkFile("mangled.mm", hostFor(text));
  const elapsed = performance.now() - start;
  expect(Array.isArray(result.diagnostics)).toBe(true);
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^MM\d{4}$/);
    expect(d.message.length).toBeGreaterThan(0);
    const span = d.labels[0]?.span;
    expect(span).toBeDefined();
    expect(span!.start).toBeLessThanOrEqual(span!.end);
    expect(span!.end).toBeLessThanOrEqual(span!.file === "mangled.mm" ? text.length : Infinity);
  }
  expect(elapsed).toBeLessThan(TIME_BOUND_MS);
}

describe("the front end never throws", () => {
  test("on mangled valid specs", () => {
    expect(seeds.length).toBeGreaterThan(0);
    fc.assert(
      fc.property(seedArb, fc.array(mutation, { minLength: 1, maxLength: 5 }), (seed, muts) => {
        checkNeverThrows(muts.reduce((s, m) => m(s), seed));
      }),
      { numRuns: 300 },
    );
  });

  test("on arbitrary strings", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (s) => checkNeverThrows(s)),
      { numRuns: 300 },
    );
  });

  test("on deep nesting", () => {
    for (const depth of [10, 63, 64, 65, 1000, 100_000]) {
      checkNeverThrows(`train t { x: ${"[".repeat(depth)}${"]".repeat(depth)} }`);
      checkNeverThrows(`model M { a: ${"{".repeat(depth)}`);
    }
  });

  test("a huge file of junk is handled within the bound", () => {
    checkNeverThrows("model M { a: 1 }\n".repeat(5000) + "}}}}".repeat(1000));
  });

  test("non-UTF-8 bytes are reported with their offset, not decoded silently", async () => {
    const { invalidUtf8Offset } = await import("../../src/cli/host.js");
    const bytes = Buffer.concat([Buffer.from("model M {}\n// "), Buffer.from([0xff, 0xfe, 0x41])]);
    expect(invalidUtf8Offset(bytes)).toBe(14);
    expect(invalidUtf8Offset(Buffer.from("héllo ✓ 😀"))).toBe(-1);
    expect(invalidUtf8Offset(Buffer.from([0x61, 0xe2, 0x82]))).toBe(1);
  });

  test("parse errors keep spans inside the text", () => {
    const r = parseText("model { : }");
    expect(r.diagnostics.length).toBeGreaterThan(0);
  });
});
