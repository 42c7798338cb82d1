// The memo of parts' counts by config: keys equal exactly when configs hold the same values, the
// least recently used entry goes first, and models composed through the memo count what a fresh
// count of the same config does, however configs repeat and interleave.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configKey, Memo } from "../../src/components/config-memo.js";
import { componentSummary } from "../../src/components/counting.js";
import { composeModel } from "../../src/components/model.js";
import type { ConfigValue } from "../../src/components/types.js";

// Small domains, so that equal values (and near misses: 1 and "1", -0 and 0) come up often.
const value: fc.Arbitrary<ConfigValue> = fc.letrec<{ v: ConfigValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom<ConfigValue>(0, -0, 1, 2.5, Number.NaN, true, false, "1", "n1", "a", ""),
    fc.array(tie("v"), { maxLength: 3 }),
    fc
      .dictionary(fc.constantFrom("a", "b", "fn", "hidden"), tie("v"), { maxKeys: 3 })
      .map((o) => ({ ...o })), // plain objects, as configs are (some come without a prototype)
  ),
})).v;

describe("configKey", () => {
  it("is the same text exactly when the values are deeply equal", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(configKey(a) === configKey(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it("ignores the order fields were written in", () => {
    expect(configKey({ width: 64, mlp: { fn: "gelu", hidden: 256 } })).toBe(
      configKey({ mlp: { hidden: 256, fn: "gelu" }, width: 64 }),
    );
  });
});

describe("Memo", () => {
  it("makes each value once and drops the least recently used past its limit", () => {
    const memo = new Memo<string>(2);
    const made: string[] = [];
    const get = (k: string) => memo.get(k, () => (made.push(k), k.toUpperCase()));
    expect([get("a"), get("b"), get("a"), get("c")]).toEqual(["A", "B", "A", "C"]);
    expect(made).toEqual(["a", "b", "c"]);
    get("a"); // still there: it was used after `b`
    get("b"); // `b` was dropped when `c` came
    expect(made).toEqual(["a", "b", "c", "b"]);
  });
});

describe("parts counted through the memo", () => {
  it("count what a fresh count of the same config does", () => {
    const llm = fc.record({
      width: fc.constantFrom(64, 128),
      depth: fc.constantFrom(1, 2, 3),
      heads: fc.constantFrom(2, 4),
      vocab: fc.constantFrom(260, 512),
    });
    fc.assert(
      fc.property(fc.array(llm, { minLength: 1, maxLength: 8 }), (configs) => {
        for (const config of configs) {
          const r = composeModel({ llm: { kind: "Decoder", config } });
          const fresh = componentSummary("Decoder", config);
          if (!r.ok || !fresh.ok) throw new Error("the config does not resolve");
          expect(r.parts.llm.params).toBe(fresh.params);
          expect(r.parts.llm.activeParams).toBe(fresh.activeParams);
          expect(r.parts.llm.flops).toBe(fresh.flops);
          expect(r.parts.llm.manifest.map((t) => t.name)).toEqual(
            fresh.manifest.map((t) => `llm.${t.name}`),
          );
        }
      }),
      { numRuns: 40 },
    );
  });
});
