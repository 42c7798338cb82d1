import { describe, expect, it } from "vitest";
import { expandBraces, mixSeed, Prng } from "../../src/runtime/data/index.js";

describe("Prng", () => {
  it("gives the same numbers for the same seed and different ones for another seed", () => {
    const a = Prng.fromSeed(42);
    const b = Prng.fromSeed(42);
    const c = Prng.fromSeed(43);
    const xs = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it("continues exactly from a JSON round-tripped state", () => {
    const a = Prng.fromSeed(5);
    for (let i = 0; i < 7; i++) a.nextUint32();
    const b = Prng.fromState(JSON.parse(JSON.stringify(a.getState())));
    expect(Array.from({ length: 10 }, () => b.nextFloat())).toEqual(
      Array.from({ length: 10 }, () => a.nextFloat()),
    );
  });

  it("is roughly uniform", () => {
    const r = Prng.fromSeed(1);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) bins[r.nextInt(10)]!++;
    for (const n of bins) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it("mixes seeds so nearby inputs differ", () => {
    expect(mixSeed(1, 0, 0)).not.toBe(mixSeed(1, 0, 1));
    expect(mixSeed(1, 0, 0)).toBe(mixSeed(1, 0, 0));
  });
});

describe("expandBraces", () => {
  it("expands zero-padded numeric ranges", () => {
    expect(expandBraces("caption-{0000..0003}.tar")).toEqual([
      "caption-0000.tar",
      "caption-0001.tar",
      "caption-0002.tar",
      "caption-0003.tar",
    ]);
  });

  it("expands lists and several groups", () => {
    expect(expandBraces("{a,b}/x-{8..10}.jsonl")).toEqual([
      "a/x-8.jsonl",
      "a/x-9.jsonl",
      "a/x-10.jsonl",
      "b/x-8.jsonl",
      "b/x-9.jsonl",
      "b/x-10.jsonl",
    ]);
  });

  it("leaves plain names and non-pattern braces alone", () => {
    expect(expandBraces("text.jsonl")).toEqual(["text.jsonl"]);
    expect(expandBraces("odd{x}.txt")).toEqual(["odd{x}.txt"]);
  });
});
