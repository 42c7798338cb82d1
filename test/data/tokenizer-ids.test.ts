// The checker's tokenizer.json scanner (`countTokenizerIds`) against the runtime's tokenizer
// built by @huggingface/tokenizers: the same number of ids for BPE, WordLevel and Unigram files,
// with and without a tokenizer_config.json naming the special tokens; malformed input is refused
// with a reason, never a crash or a hang.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BpeTokenizer } from "../../src/runtime/data/bpe-tokenizer.js";
import { countTokenizerIds } from "../../src/runtime/data/tokenizer-ids.js";

const added = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

function bpe(vocab: Record<string, number>, addedTokens: { id: number; content: string }[]) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens.map((t) => added(t.id, t.content)),
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: ["a b", "ab c"],
    },
  };
}

const bytes = (json: unknown, indent?: number) =>
  new TextEncoder().encode(JSON.stringify(json, null, indent));

function bothCounts(json: object, config: object = {}) {
  return {
    scanned: countTokenizerIds(bytes(json, 2), config).ids,
    built: new BpeTokenizer(json, config).vocabSize,
  };
}

describe("countTokenizerIds", () => {
  it("counts a BPE file's ids and the special tokens appended, as the tokenizer does", () => {
    const json = bpe({ "<s>": 0, "</s>": 1, a: 2, b: 3, c: 4, ab: 5, abc: 6, "<unk>": 7 }, [
      { id: 0, content: "<s>" },
      { id: 1, content: "</s>" },
    ]);
    expect(countTokenizerIds(bytes(json))).toEqual({
      ids: 10,
      inFile: 8,
      appended: ["pad", "image"],
    });
    expect(new BpeTokenizer(json).vocabSize).toBe(10);
  });

  it("counts added tokens past the model's vocabulary, and names from tokenizer_config.json", () => {
    const json = bpe({ a: 0, b: 1, c: 2, ab: 3, abc: 4, "<unk>": 5 }, [
      { id: 40, content: "[BOS]" },
      { id: 41, content: "<|im_end|>" },
      { id: 7, content: "<image>" },
    ]);
    const config = { bos_token: { content: "[BOS]" }, pad_token: "<unk>" };
    expect(countTokenizerIds(bytes(json), config)).toEqual({ ids: 42, inFile: 42, appended: [] });
    expect(bothCounts(json, config)).toEqual({ scanned: 42, built: 42 });
    // Without the config, `[BOS]` and `<unk>` are not special: bos and pad are appended.
    expect(bothCounts(json)).toEqual({ scanned: 44, built: 44 });
  });

  it("counts WordLevel and Unigram vocabularies (an id per index for Unigram)", () => {
    const wordLevel = {
      ...bpe({}, []),
      model: { type: "WordLevel", vocab: { "<unk>": 0, hello: 1, "<pad>": 2 }, unk_token: "<unk>" },
    };
    expect(bothCounts(wordLevel)).toEqual({ scanned: 6, built: 6 });
    const unigram = {
      ...bpe({}, []),
      model: {
        type: "Unigram",
        unk_id: 0,
        vocab: [
          ["<unk>", 0],
          ["<s>", 0],
          ["\u2581hi", -1.5],
          ["</s>", 0],
          ["<image>", 0],
        ],
      },
    };
    expect(bothCounts(unigram)).toEqual({ scanned: 6, built: 6 });
  });

  it("agrees with the tokenizer on random vocabularies and added tokens", () => {
    const names = ["<s>", "</s>", "<pad>", "<image>", "<bos>", "x", "y\\z", 'q"t', "\u00e9"];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...names), { maxLength: names.length }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 9, maxLength: 9 }),
        fc.uniqueArray(fc.constantFrom(...names), { maxLength: 3 }),
        (tokens, ids, addedNames) => {
          const vocab: Record<string, number> = { a: 0, b: 1, c: 2, ab: 3, abc: 4, "<unk>": 5 };
          tokens.forEach((t, i) => (vocab[t] ??= 6 + (ids[i] ?? 0)));
          const addedTokens = addedNames.map((content, i) => ({
            id: vocab[content] ?? 400 + i,
            content,
          }));
          const json = bpe(vocab, addedTokens);
          const { scanned, built } = bothCounts(json);
          expect(scanned).toBe(built);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses what is not a tokenizer.json with a reason, in bounded depth", () => {
    const refused = (text: string) => () => countTokenizerIds(new TextEncoder().encode(text));
    expect(refused("[1, 2]")).toThrow(/not a tokenizer.json: expected `\{` at byte 0/);
    expect(refused('{"model": {"vocab": {"a": 1')).toThrow(/not a tokenizer.json/);
    expect(refused('{"a": "unclosed')).toThrow(/a string is not closed/);
    expect(refused('{"a": 1} x')).toThrow(/text after the JSON object/);
    expect(refused(`{"a": ${"[".repeat(100_000)}`)).toThrow(/nested more than 256 deep/);
    // Ids that are not whole numbers are skipped, not counted.
    expect(
      countTokenizerIds(bytes({ model: { vocab: { a: 1.5, b: -1, c: "3", d: 2 } } })).inFile,
    ).toBe(3);
  });
});
