// CIDEr-D against values worked out by hand. With two images, ln(N) = L = ln 2 and an n-gram's
// idf is L - ln(max(1, df)): 0 for an n-gram in both images' references ("a"), L for every other
// n-gram (df 1, or df 0 counted as 1). Each nonzero weight is a multiple of L, so L cancels in the
// cosines and the scores below are plain numbers.
import { describe, expect, it } from "vitest";
import { ciderD, cocoCiderD, ngramCounts, numpyMean } from "../../src/metrics/index.js";

// Image 0 has two references, image 1 one.
const REFS = [["a cat sits", "a cat sleeps"], ["a dog runs"]];
/** The score of each hypothesis against REFS (their df does not depend on the hypotheses). */
const score = (hyp0: string, hyp1: string) => ciderD(REFS, [hyp0, hyp1]);

describe("ciderD", () => {
  it("an identical candidate: 7.5 with one reference, 5 when it matches one of two", () => {
    // Image 1, "a dog runs" vs "a dog runs". Weights: 1-grams a:0 dog:L runs:L (norm √2·L),
    // 2-grams "a dog":L "dog runs":L (norm √2·L), the 3-gram L (norm L), no 4-gram (norm 0).
    // Cosines [2L²/2L², 2L²/2L², L²/L², 0] = [1, 1, 1, 0]; same length, penalty 1.
    // Mean over n = 3/4, over the one reference 3/4, x10 = 7.5.
    //
    // Image 0, "a cat sits": against "a cat sits" [1, 1, 1, 0]; against "a cat sleeps" the shared
    // n-grams are a (weight 0), cat, "a cat": [L²/2L², L²/2L², 0, 0] = [1/2, 1/2, 0, 0].
    // Sum [3/2, 3/2, 1, 0], mean over n 1, over two references 1/2, x10 = 5.
    const r = score("a cat sits", "a dog runs");
    expect(r.scores[0]).toBeCloseTo(5, 12);
    expect(r.scores[1]).toBeCloseTo(7.5, 12);
    // The corpus score is the mean over images: (5 + 7.5) / 2.
    expect(r.score).toBeCloseTo(6.25, 12);
  });

  it("partial overlap, including an n-gram no reference has (idf L, df taken as 1)", () => {
    // "a cat runs": 1-grams a:0 cat:L runs:L (runs has df 1, from image 1), 2-grams "a cat":L and
    // "cat runs":L (df 0 -> ln max(1, 0) = 0), the 3-gram L. Against each reference of image 0
    // only cat and "a cat" match: [L²/2L², L²/2L², 0, 0] = [1/2, 1/2, 0, 0].
    // Sum over the two references [1, 1, 0, 0], mean over n 1/2, /2 = 1/4, x10 = 2.5.
    expect(score("a cat runs", "").scores[0]).toBeCloseTo(2.5, 12);
  });

  it("an empty prediction scores 0 (no n-grams, zero norms, no division)", () => {
    const r = score("", "");
    expect(r.scores).toEqual([0, 0]);
    expect(r.score).toBe(0);
  });

  it("clips repeated n-grams at the reference's weight", () => {
    // "dog dog dog" vs "a dog runs": dog has tf 3, weight 3L (norm 3L); the reference has dog:L
    // (norm √2·L). Clipped: min(3L, L)·L / (3L·√2·L) = 1/(3√2); plain cosine would give 1/√2.
    // "dog dog" (tf 2) and the 3-gram do not match. Lengths: 2 bigrams each, penalty 1.
    // Mean over n (1/(3√2)) / 4, x10 = 10/(12√2).
    const clipped = score("", "dog dog dog").scores[1];
    expect(clipped).toBeCloseTo(10 / (12 * Math.SQRT2), 12);
    expect(clipped).toBeCloseTo(0.589255650988789, 12);
  });

  it("applies the Gaussian length penalty with sigma 6, on the count of 2-grams", () => {
    // "a dog runs fast today" vs "a dog runs": 1-grams dog, runs match: 2L² / (2L·√2·L) = 1/√2
    // (hypothesis norm √4·L: a has weight 0); 2-grams "a dog", "dog runs": 2L² / (2L·√2·L) = 1/√2;
    // 3-gram "a dog runs": L² / (√3·L·L) = 1/√3; the reference has no 4-gram: 0.
    // Length is the number of 2-grams: 4 against 2, δ = 2, penalty e^(-δ²/(2·6²)) = e^(-1/18).
    // Mean over n (2/√2 + 1/√3) / 4, x10: 2.5·(√2 + 1/√3)·e^(-1/18).
    const expected = 2.5 * (Math.SQRT2 + 1 / Math.sqrt(3)) * Math.exp(-1 / 18);
    expect(score("", "a dog runs fast today").scores[1]).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(4.709847, 5);
  });

  it("is 0 for a one-image set: every idf is ln 1 - ln 1 = 0", () => {
    expect(ciderD([["a dog runs"]], ["a dog runs"]).score).toBe(0);
  });

  it("uses numpy's pairwise summation for the corpus mean", () => {
    // 0.1 nine times: pairwise, the first 8 go to 8 accumulators, added in a tree, then the 9th.
    const xs = new Array<number>(9).fill(0.1);
    let tree = 0.1 + 0.1 + (0.1 + 0.1) + (0.1 + 0.1 + (0.1 + 0.1));
    tree += 0.1;
    expect(numpyMean(xs)).toBe(tree / 9);
    // Left to right differs in the last bit for this input, so the test tells the two apart.
    let seq = 0;
    for (const x of xs) seq += x;
    expect(seq / 9).not.toBe(tree / 9);
  });

  it("refuses sets it cannot score, as the reference asserts", () => {
    expect(() => ciderD([["a"]], [])).toThrow(/one hypothesis per image/);
    expect(() => ciderD([[]], ["a"])).toThrow(/no reference captions/);
    expect(() => ciderD([], [])).toThrow(/at least one image/);
  });
});

describe("ngramCounts", () => {
  it("counts 1- to 4-grams of the whitespace-split words, in first-seen order", () => {
    const c = ngramCounts("dog  dog\tdog");
    expect([...c].map(([k, v]) => [k, v.n, v.count])).toEqual([
      ["dog", 1, 3],
      ["dog dog", 2, 2],
      ["dog dog dog", 3, 1],
    ]);
  });
});

describe("cocoCiderD", () => {
  it("tokenizes references and hypotheses like COCOEvalCap before scoring", () => {
    // After PTB tokenization these are REFS and the hypotheses of the first test: 5 and 7.5.
    const r = cocoCiderD([
      { references: ["A cat sits.", "A CAT sleeps!"], hypothesis: "a cat, sits" },
      { references: ["A dog runs..."], hypothesis: "A dog runs" },
    ]);
    expect(r.scores[0]).toBeCloseTo(5, 12);
    expect(r.scores[1]).toBeCloseTo(7.5, 12);
  });
});
