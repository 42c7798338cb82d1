// The PTB tokenizer against the Java tokenizer pycocoevalcap runs (recorded output of CoreNLP
// 3.4.1 in fixtures/), and pycocoevalcap's own steps on top (lowercase, PUNCTUATIONS) by hand.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ptbLexLines, ptbTokenize, ptbTokenizeCaptions } from "../../src/metrics/index.js";

interface Recorded {
  lines: string[];
  tokens: string[];
}

const recorded = JSON.parse(
  readFileSync(new URL("./fixtures/ptb-corenlp-3.4.1.json", import.meta.url), "utf8"),
) as Recorded;

describe("ptbLexLines against CoreNLP 3.4.1", () => {
  it("gives the Java tokenizer's tokens for every recorded line", () => {
    expect(recorded.lines.length).toBe(recorded.tokens.length);
    expect(recorded.lines.length).toBeGreaterThan(300);
    const lexed = ptbLexLines(recorded.lines.join("\n")).map((line) =>
      line.map((t) => t.toLowerCase()).join(" "),
    );
    const differing = lexed
      .map((got, i) => ({ line: recorded.lines[i], java: recorded.tokens[i], got }))
      .filter((d) => d.got !== d.java);
    expect(differing).toEqual([]);
  });
});

describe("ptbTokenize (pycocoevalcap's PTBTokenizer)", () => {
  it.each([
    // Punctuation is split off, then dropped by PUNCTUATIONS; everything is lowercased.
    ["A man riding a wave on top of a surfboard.", "a man riding a wave on top of a surfboard"],
    // Contractions split PTB-style; `cannot` and `gonna` are split too.
    ["It's a dog that isn't wet.", "it 's a dog that is n't wet"],
    ["I cannot see; they're gonna go!", "i can not see they 're gon na go"],
    // Quotes become `` and '' (dropped); parentheses become -LRB- -RRB-, which survive because
    // PUNCTUATIONS is compared after lowercasing; brackets become -LSB- -RSB- (not in the list).
    ['A sign saying "stop" (red) [old]', "a sign saying stop -lrb- red -rrb- -lsb- old -rsb-"],
    // Hyphenated words, numbers and abbreviations stay whole; ellipsis and dashes are dropped.
    ["A black-and-white cat... 3.5 ft -- e.g. 1,000", "a black-and-white cat 3.5 ft e.g. 1,000"],
    ["The U.S. flag and Mr. Smith etc.", "the u.s. flag and mr. smith etc."],
    // A slash or an ampersand alone is kept (neither is in PUNCTUATIONS).
    ["salt / pepper & oil", "salt / pepper & oil"],
    ["", ""],
    ["...", ""],
  ])("%j -> %j", (caption, expected) => {
    expect(ptbTokenize(caption)).toBe(expected);
  });

  it("looks past a line end as the Java lexer does, so caption order matters", () => {
    // A one-letter acronym before a sentence-starting word loses its period ("b" then "."); before
    // a lowercase word it is the abbreviation "b.".
    expect(ptbTokenizeCaptions(["We chose plan B.", "The end."])).toEqual([
      "we chose plan b",
      "the end",
    ]);
    expect(ptbTokenizeCaptions(["We chose plan B.", "the end."])).toEqual([
      "we chose plan b.",
      "the end",
    ]);
  });

  it("keeps one output line per caption, whatever line breaks a caption holds", () => {
    // pycocoevalcap replaces only `\n`; `\r` or U+2028 would make the Java tokenizer start a new
    // line and shift every later caption. Here they are spaces.
    expect(ptbTokenizeCaptions(["a\ncat", "a\rdog\u2028runs", "end"])).toEqual([
      "a cat",
      "a dog runs",
      "end",
    ]);
  });

  it("deletes characters the lexer cannot tokenize, as the Java lexer does by default", () => {
    expect(ptbTokenize("a cat \u{1F600} sits\u0001down")).toBe("a cat sits down");
  });
});
