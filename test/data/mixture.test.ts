// The mixture sampler: declared proportions realised, by samples and by tokens; seeded and
// deterministic; resumable from a JSON state; repeated small sources warned about.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ByteTokenizer,
  DEFAULT_IMAGE_OPTIONS,
  IssueSink,
  MixtureSampler,
  type DataIssue,
  type DataSpec,
  type SamplerState,
} from "../../src/runtime/data/index.js";
import { tempDir, writeJsonl } from "./fixtures.js";

const dir = tempDir();
writeJsonl(
  join(dir, "a.jsonl"),
  Array.from({ length: 50 }, (_, i) => ({ text: `a${i} ` + "a".repeat(i % 7) })),
);
writeJsonl(
  join(dir, "b.jsonl"),
  Array.from({ length: 30 }, (_, i) => ({ text: `b${i} ` + "b".repeat(40 + (i % 5)) })),
);
writeJsonl(
  join(dir, "c.jsonl"),
  Array.from({ length: 7 }, (_, i) => ({ text: `c${i}` })),
);
writeFileSync(
  join(dir, "d.txt"),
  Array.from({ length: 20 }, (_, i) => `d${i} `.repeat(1 + (i % 3))).join("\n\n"),
);

function spec(
  weights: number[],
  seed = 11,
  weighting: DataSpec["weighting"] = "samples",
): DataSpec {
  const files = ["a.jsonl", "b.jsonl", "c.jsonl", "d.txt"];
  return {
    name: "mix",
    baseDir: dir,
    sources: weights.map((weight, i) => ({
      name: `s${i}`,
      kind: "text" as const,
      format: files[i]!.endsWith(".txt") ? ("text" as const) : ("jsonl" as const),
      path: files[i]!,
      weight,
    })),
    weighting,
    imagesPerSequence: 0,
    tokenizer: { kind: "bytes" },
    seed,
  };
}

function sampler(s: DataSpec, state?: SamplerState, issues: DataIssue[] = []) {
  return new MixtureSampler(s, {
    tokenizer: new ByteTokenizer(),
    imageTokens: 0,
    image: DEFAULT_IMAGE_OPTIONS,
    issues: new IssueSink({ onWarning: (i) => issues.push(i) }),
    state,
  });
}

async function draw(m: MixtureSampler, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const d = await m.next();
    out.push(`${d.source}|${d.where}`);
  }
  return out;
}

const shares = (xs: string[], names: string[]) =>
  names.map((n) => xs.filter((x) => x.startsWith(`${n}|`)).length / xs.length);

describe("mixture sampler", () => {
  it("realises 45/45/10 within 1 percentage point over 10,000 draws", async () => {
    for (const n of [10_000, 10_037]) {
      const m = sampler(spec([0.45, 0.45, 0.1]));
      const got = shares(await draw(m, n), ["s0", "s1", "s2"]);
      await m.close();
      [0.45, 0.45, 0.1].forEach((w, i) => expect(Math.abs((got[i] ?? 0) - w)).toBeLessThan(0.01));
    }
  });

  it("realises arbitrary weights within 1 point for any seed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (raw, seed) => {
          const total = raw.reduce((a, b) => a + b, 0);
          const weights = raw.map((r) => r / total);
          const m = sampler(spec(weights, seed));
          const got = shares(
            await draw(m, 10_000),
            weights.map((_, i) => `s${i}`),
          );
          await m.close();
          weights.forEach((w, i) => expect(Math.abs((got[i] ?? 0) - w)).toBeLessThan(0.01));
        },
      ),
      { numRuns: 6 },
    );
  });

  it("matches token shares to the weights when weighting by tokens", async () => {
    const m = sampler(spec([0.5, 0.5], 3, "tokens"));
    for (let i = 0; i < 5000; i++) await m.next();
    const [a, b] = m.sourceCursors;
    await m.close();
    const share = a!.tokens / (a!.tokens + b!.tokens);
    expect(Math.abs(share - 0.5)).toBeLessThan(0.02);
    // by samples the short source would dominate the documents, not the tokens
    expect(a!.samples).toBeGreaterThan(3 * b!.samples);
  });

  it("weights by tokens from the first document, not after a first block drawn by samples", async () => {
    // Source a's documents are about 9 tokens, b's about 48: by samples the first 100 draws
    // would give a about 16% of the tokens; measured from each source's first document, half.
    const m = sampler(spec([0.5, 0.5], 3, "tokens"));
    const tokens = { s0: 0, s1: 0 };
    for (let i = 0; i < 100; i++) {
      const d = await m.next();
      tokens[d.source as "s0" | "s1"] += d.length;
    }
    await m.close();
    expect(Math.abs(tokens.s0 / (tokens.s0 + tokens.s1) - 0.5)).toBeLessThan(0.2);
  });

  it("continues exactly from a saved state when weighting by tokens", async () => {
    const s = spec([0.3, 0.3, 0.2, 0.2], 9, "tokens");
    const whole = await draw(sampler(s), 300);
    for (const cut of [0, 1, 2, 5, 99, 150]) {
      const first = sampler(s);
      const head = await draw(first, cut);
      const saved = JSON.parse(JSON.stringify(first.getState())) as SamplerState;
      await first.close();
      const tail = await draw(sampler(s, saved), 300 - cut);
      expect([...head, ...tail], `cut at ${cut}`).toEqual(whole);
    }
  });

  it("gives the same stream for the same seed and a different one for another", async () => {
    const one = await draw(sampler(spec([0.3, 0.3, 0.2, 0.2], 5)), 300);
    const two = await draw(sampler(spec([0.3, 0.3, 0.2, 0.2], 5)), 300);
    const other = await draw(sampler(spec([0.3, 0.3, 0.2, 0.2], 6)), 300);
    expect(two).toEqual(one);
    expect(other).not.toEqual(one);
  });

  it("continues exactly from a saved state, across epochs of every source", async () => {
    const s = spec([0.3, 0.3, 0.2, 0.2], 9);
    const whole = await draw(sampler(s), 400);
    for (const cut of [0, 1, 57, 123, 399]) {
      const first = sampler(s);
      const head = await draw(first, cut);
      const saved = JSON.parse(JSON.stringify(first.getState())) as SamplerState;
      await first.close();
      const tail = await draw(sampler(s, saved), 400 - cut);
      expect([...head, ...tail]).toEqual(whole);
    }
  });

  it("reads every record once per pass, in a new shuffled order each pass", async () => {
    const m = sampler(spec([1]));
    const passes = [await draw(m, 50), await draw(m, 50)];
    await m.close();
    for (const p of passes) expect(new Set(p).size).toBe(50);
    expect([...passes[0]!].sort()).toEqual([...passes[1]!].sort());
    expect(passes[1]).not.toEqual(passes[0]);
    const inFileOrder = passes[0]!.map((x) => Number(/line (\d+)/.exec(x)![1]));
    expect(inFileOrder).not.toEqual([...inFileOrder].sort((a, b) => a - b));
  });

  it("refuses a state saved for different sources", async () => {
    const state = sampler(spec([0.5, 0.5])).getState();
    expect(() => sampler(spec([0.4, 0.3, 0.3]), state)).toThrow(/does not match/);
  });

  it("counts epochs and warns when a small source repeats many times", async () => {
    const issues: DataIssue[] = [];
    const m = sampler(spec([0.1, 0.1, 0.8]), undefined, issues);
    await draw(m, 1000);
    await m.close();
    const c = m.sourceCursors[2]!;
    expect(c.epoch).toBe(Math.floor(c.samples / 7));
    const repeats = issues.filter((i) => i.code === "repeated-source" && i.source === "s2");
    expect(repeats.length).toBeGreaterThanOrEqual(3); // passes 4, 16 and 64
    expect(repeats[0]!.message).toMatch(/4 times over \(7 samples per pass\)/);
  });

  it("rejects invalid weights", () => {
    expect(() => sampler(spec([0, 0]))).toThrow(/all source weights are 0/);
    expect(() => sampler(spec([-1, 2]))).toThrow(/weight -1/);
  });
});
