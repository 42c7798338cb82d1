// The realised-share reader of hovers: the last usable `step` record in a metrics log's tail, and
// never a throw on garbage (fast-check); the hover lines for sample and token weighting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lastSourceCounts, metricsPathOf, realisedLines } from "../../src/lsp/realised.js";
import type { CheckedTrain } from "../../src/check/ir.js";

const step = (n: number, sources: unknown, tokens?: unknown) =>
  JSON.stringify({ type: "step", step: n, sources, ...(tokens ? { source_tokens: tokens } : {}) });

describe("lastSourceCounts", () => {
  it("takes the last step record with counts, skipping a cut first line, garbage and other records", () => {
    const tail = [
      'ources":{"a":1}}', // the tail read cut this line
      step(3, { a: 1, b: 3 }, { a: 10, b: 90 }),
      "garbage",
      step(4, { a: -1 }), // a negative count: not a log mmc wrote
      step(5, { a: "2" }),
      '{"type":"eval","step":5,"sources":{"a":1}}',
      '{"type":"step","step":6,"sour',
    ].join("\n");
    const r = lastSourceCounts(tail)!;
    expect(r.step).toBe(3);
    expect([...r.samples]).toEqual([
      ["a", 1],
      ["b", 3],
    ]);
    expect(r.tokens?.get("b")).toBe(90);
    expect(lastSourceCounts("")).toBeUndefined();
    expect(lastSourceCounts(step(1, {}))).toBeUndefined();
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.constantFrom('{"type":"step","step":1,"sources":{"__proto__":1}}', "{", "\u0000"),
          ),
          { maxLength: 8 },
        ),
        (lines) => {
          const r = lastSourceCounts(lines.join("\n"));
          if (r) for (const v of r.samples.values()) expect(v).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("realisedLines", () => {
  const run = {
    train: "t",
    shown: "runs/t/metrics.jsonl",
    step: 7,
    samples: new Map([
      ["a", 1],
      ["b", 3],
    ]),
    tokens: new Map([
      ["a", 30],
      ["b", 70],
    ]),
  };
  it("counts in the mixture's weighting", () => {
    expect(realisedLines("a", "samples", [run])).toEqual([
      "- realised: 25% of the samples in `train t`'s run (`runs/t/metrics.jsonl`, step 7): 1 of 4",
    ]);
    expect(realisedLines("a", "tokens", [run])[0]).toContain("30% of the tokens");
    const { tokens: _, ...noTokens } = run;
    expect(realisedLines("a", "tokens", [noTokens])[0]).toContain(
      "25% of the samples in `train t`'s run (`runs/t/metrics.jsonl`, step 7): 1 of 4 (this log has no token counts)",
    );
    expect(realisedLines("c", "samples", [run])[0]).toContain("not in `train t`'s run");
  });

  it("reads no log outside the spec's folder", () => {
    const train = (dir?: string) =>
      ({ name: "x", ...(dir ? { checkpoint: { every: 1, dir, keep: 1 } } : {}) }) as CheckedTrain;
    expect(metricsPathOf(train())).toBe("runs/x/metrics.jsonl");
    expect(metricsPathOf(train("out/./a"))).toBe("out/a/metrics.jsonl");
    expect(metricsPathOf(train("../elsewhere"))).toBeUndefined();
    expect(metricsPathOf(train("a/../../b"))).toBeUndefined();
    expect(metricsPathOf(train("/abs"))).toBeUndefined();
  });
});
