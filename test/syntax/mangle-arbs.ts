// The inputs of the front end's property tests: the repository's specs as seeds, and mutations
// that delete, duplicate, insert junk or recovery-stressing punctuation, truncate, or add huge
// numbers (test/syntax/mangle.test.ts, test/syntax/cst-parity.test.ts).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";

const ROOT = join(import.meta.dirname, "..", "..");
export const seeds = [
  ...readdirSync(join(ROOT, "examples"))
    .filter((f) => f.endsWith(".mm"))
    .map((f) => join(ROOT, "examples", f)),
  ...readdirSync(join(ROOT, "stdlib"))
    .filter((f) => f.endsWith(".mm"))
    .map((f) => join(ROOT, "stdlib", f)),
].map((f) => readFileSync(f, "utf8"));

export const seedArb = fc.constantFrom(...seeds);

export const mutation = fc.oneof(
  // delete a range
  fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(([at, len]) => (s: string) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + s.slice(i + len);
  }),
  // duplicate a range
  fc.tuple(fc.nat(), fc.nat({ max: 80 })).map(([at, len]) => (s: string) => {
    const i = at % (s.length + 1);
    return s.slice(0, i) + s.slice(i, i + len) + s.slice(i);
  }),
  // insert random characters, including control characters and lone surrogates
  fc
    .tuple(fc.nat(), fc.string({ unit: "binary", maxLength: 12 }))
    .map(([at, junk]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + junk + s.slice(i);
    }),
  // insert punctuation that stresses recovery
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        ":",
        ",",
        '"',
        "/*",
        "///",
        "<=",
        "=",
        "model",
        "budget {",
      ),
    )
    .map(([at, p]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + p + s.slice(i);
    }),
  // truncate
  fc.nat().map((at) => (s: string) => s.slice(0, at % (s.length + 1))),
  // huge numbers
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        "9".repeat(400),
        "1e999",
        "1e-999",
        "123456789012345678901234567890T",
        "0.0000001%",
      ),
    )
    .map(([at, n]) => (s: string) => {
      const i = at % (s.length + 1);
      return s.slice(0, i) + ` ${n} ` + s.slice(i);
    }),
);
