// VQAv2 accuracy against values worked out by hand: for each of the ten human answers left out,
// min(1, matches among the other nine / 3), averaged over the ten; and vqaEval.py's normalisation.
import { describe, expect, it } from "vitest";
import {
  normalizeVqaAnswer,
  processDigitArticle,
  processPunctuation,
  vqaAccuracy,
  vqaScores,
} from "../../src/metrics/index.js";

/** Ten answers: `k` of them "cat", the rest "dog". */
const answers = (k: number): string[] => [
  ...new Array<string>(k).fill("cat"),
  ...new Array<string>(10 - k).fill("dog"),
];

describe("vqaAccuracy", () => {
  it.each([
    // 0 matches: 0 in every subset.
    [0, 0],
    // 1: leaving out that answer, 0 matches (0); the other 9 subsets have 1 (1/3): 9·(1/3)/10.
    [1, 0.3],
    // 2: leaving out a "cat", 1 match (1/3), twice; a "dog", 2 (2/3), 8 times: (2/3 + 16/3)/10.
    [2, 0.6],
    // 3: leaving out a "cat", 2 (2/3), 3 times; a "dog", 3 (1), 7 times: (2 + 7)/10.
    [3, 0.9],
    // 4 or more: every subset still has 3 matches.
    [4, 1],
    [10, 1],
  ])("%i of 10 humans gave the answer: %f", (k, expected) => {
    expect(vqaAccuracy("cat", answers(k))).toBeCloseTo(expected, 12);
  });

  it("normalises the prediction and the answers when the humans disagree", () => {
    // "Two dogs." -> punctuation: the final period goes -> "Two dogs"; digits and articles:
    // lowercase, "two" -> "2" -> "2 dogs". 3 of the answers say so after normalising
    // ("2 dogs", "two dogs", "the 2 dogs"): 0.9 as above.
    const humans = ["2 dogs", "two dogs", "the 2 dogs", ...new Array<string>(7).fill("3 dogs")];
    expect(vqaAccuracy("Two dogs.", humans)).toBeCloseTo(0.9, 12);
  });

  it("compares raw strings when all ten answers are the same, as vqaEval.py does", () => {
    // All "2": no normalisation, so "two" matches nothing and "2" every time.
    expect(vqaAccuracy("2", new Array<string>(10).fill("2"))).toBe(1);
    expect(vqaAccuracy("two", new Array<string>(10).fill("2"))).toBe(0);
    // Newlines, tabs and the ends are cleaned for every answer, unanimous or not.
    expect(vqaAccuracy(" 2\n", new Array<string>(10).fill("2\t"))).toBe(1);
  });

  it("works for any number of answers and refuses none", () => {
    // One answer: leaving it out leaves no match.
    expect(vqaAccuracy("cat", ["cat"])).toBe(0);
    // Four "cat": each subset has 3 matches.
    expect(vqaAccuracy("cat", ["cat", "cat", "cat", "cat"])).toBe(1);
    expect(() => vqaAccuracy("cat", [])).toThrow(/at least one/);
  });
});

describe("processPunctuation", () => {
  it.each([
    // A mark not touching a space becomes a space; touching one, it is removed.
    ["top-left", "top left"],
    ["top - left", "top  left"],
    ["yes!", "yes "],
    // A comma between digits anywhere removes every mark instead.
    ["1,000", "1000"],
    ["1,000 (approx)", "1000 approx"],
    ["a,b", "a b"],
    // Periods go unless a digit follows; at most 32 are removed (re.UNICODE passed as count).
    ["3.5", "3.5"],
    ["3.", "3"],
    ["e.g.", "eg"],
    [".".repeat(40) + "a", ".".repeat(8) + "a"],
    // An apostrophe, a colon and a percent sign are not in the list.
    ["isn't 50%: ok", "isn't 50%: ok"],
  ])("%j -> %j", (input, expected) => {
    expect(processPunctuation(input)).toBe(expected);
  });
});

describe("processDigitArticle", () => {
  it.each([
    ["the cat", "cat"],
    ["An Apple", "apple"],
    ["Two dogs", "2 dogs"],
    ["none", "0"],
    ["ten eleven", "10 eleven"],
    ["isnt", "isn't"],
    ["dont  know", "don't know"],
    // The official table maps this one backwards.
    ["somebody'd", "somebodyd"],
    // Only own keys of the tables: these must not reach Object.prototype.
    ["constructor __proto__ toString", "constructor __proto__ tostring"],
  ])("%j -> %j", (input, expected) => {
    expect(processDigitArticle(input)).toBe(expected);
  });

  it("normalizeVqaAnswer applies both steps", () => {
    expect(normalizeVqaAnswer("The Two (red) dogs.")).toBe("2 red dogs");
  });
});

describe("vqaScores", () => {
  it("averages per question, per answer type and per question type", () => {
    const s = vqaScores([
      { prediction: "cat", answers: answers(2), answerType: "other", questionType: "what" }, // 0.6
      { prediction: "cat", answers: answers(10), answerType: "other", questionType: "what" }, // 1
      { prediction: "yes", answers: answers(0), answerType: "yes/no", questionType: "is the" }, // 0
    ]);
    expect(s.perQuestion).toEqual([0.6, 1, 0].map((x) => expect.closeTo(x, 12)));
    expect(s.overall).toBeCloseTo(1.6 / 3, 12);
    expect(s.perAnswerType["other"]).toBeCloseTo(0.8, 12);
    expect(s.perAnswerType["yes/no"]).toBe(0);
    expect(s.perQuestionType).toEqual({ what: expect.closeTo(0.8, 12), "is the": 0 });
  });
});
