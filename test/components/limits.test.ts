// Every size has an upper bound a real run never reaches, with the reason in the message; whole
// numbers stop at 2^53 - 1; and no combination of in-range values makes a count infinite, NaN or
// inexact: it is counted exactly, or refused with MM2018.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { componentSummary } from "../../src/components/counting.js";
import { checkFieldValue } from "../../src/components/fields.js";
import { MAX_WHOLE } from "../../src/components/limits.js";
import { COMPONENT_KINDS } from "../../src/components/registry.js";

const numericFields = Object.values(COMPONENT_KINDS).flatMap((kind) =>
  kind.fields
    .filter((f) => f.type.kind === "int" || f.type.kind === "mlp")
    .map((f) => [`${kind.name}.${f.name}`, f] as const),
);

describe("field limits", () => {
  test.each(numericFields)("%s has an upper bound with a reason", (_, spec) => {
    const t = spec.type;
    if (t.kind !== "int" && t.kind !== "mlp") throw new Error("filtered above");
    expect(t.max).toBeDefined();
    expect(t.max!).toBeLessThanOrEqual(MAX_WHOLE);
    expect(t.why).toMatch(/\w/);
    const at = t.kind === "mlp" ? { fn: "gelu" as const, hidden: t.max! } : t.max!;
    const over = t.kind === "mlp" ? { fn: "gelu" as const, hidden: t.max! + 1 } : t.max! + 1;
    expect(checkFieldValue(spec, at).problem).toBeUndefined();
    const p = checkFieldValue(spec, over).problem;
    expect(p?.code).toBe("MM2010");
    expect(p?.message).toContain("the most mmc accepts");
    expect(p?.message).toContain(t.why!);
  });

  test("1e308 is a whole number to JavaScript, and still refused", () => {
    const width = COMPONENT_KINDS["Decoder"]!.fields.find((f) => f.name === "width")!;
    expect(checkFieldValue(width, 1e308).problem?.message).toContain("`width` 1e+308 is more than");
  });
});

describe("counts are exact or refused", () => {
  const big = (max: number) => fc.integer({ min: 1, max });
  test("a Decoder of any in-range sizes has a finite, exact count, or MM2018", () => {
    fc.assert(
      fc.property(
        big(2 ** 18),
        big(4096),
        fc.constantFrom(1, 2, 4, 8),
        big(2 ** 24),
        big(2 ** 20),
        fc.option(fc.record({ experts: big(2 ** 20), every: big(64) }), { nil: undefined }),
        (w, depth, heads, vocab, hidden, moe) => {
          const width = w * heads;
          if (width > 2 ** 18) return;
          const s = componentSummary("Decoder", {
            width,
            depth,
            heads,
            vocab,
            mlp: { fn: "swiglu", hidden },
            position: "none",
            ...(moe
              ? { moe: { experts: moe.experts, top_k: 1, every: Math.min(moe.every, depth) } }
              : {}),
          });
          if (s.ok) {
            expect(Number.isSafeInteger(s.params)).toBe(true);
            expect(Number.isSafeInteger(s.activeParams)).toBe(true);
            expect(Number.isFinite(s.flops)).toBe(true);
            expect(Number.isFinite(s.activations)).toBe(true);
          } else {
            expect(s.problems.map((p) => p.code)).toEqual(["MM2018"]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
