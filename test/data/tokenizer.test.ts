import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BpeTokenizer,
  BYTE_SPECIAL,
  ByteTokenizer,
  DataError,
  loadTokenizer,
} from "../../src/runtime/data/index.js";
import { oneSource, tempDir } from "./fixtures.js";

const dir = tempDir();

const tinyBpe = {
  version: "1.0",
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 0,
      content: "<s>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
    {
      id: 1,
      content: "</s>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    },
  ],
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
    vocab: { "<s>": 0, "</s>": 1, a: 2, b: 3, c: 4, ab: 5, abc: 6, "<unk>": 7 },
    merges: ["a b", "ab c"],
  },
};

describe("byte tokenizer", () => {
  it("round-trips any UTF-8 text through byte ids", () => {
    const t = new ByteTokenizer();
    for (const text of ["", "hello", "naïve café ☕ 日本", "tab\tnew\nline"]) {
      const ids = t.encode(text);
      expect(Math.max(-1, ...ids)).toBeLessThan(256);
      expect(ids.length).toBe(Buffer.byteLength(text));
      expect(t.decode(ids)).toBe(text);
    }
  });

  it("puts the special tokens after the bytes and skips them when decoding", () => {
    const t = new ByteTokenizer();
    expect(BYTE_SPECIAL).toEqual({ bos: 256, eos: 257, pad: 258, image: 259 });
    expect(t.vocabSize).toBe(260);
    expect(t.decode([BYTE_SPECIAL.bos, 104, 105, BYTE_SPECIAL.eos])).toBe("hi");
  });
});

describe("BPE tokenizer from tokenizer.json", () => {
  it("applies the merges and finds or appends special tokens", () => {
    const t = new BpeTokenizer(tinyBpe);
    expect(Array.from(t.encode("abc ab ca"))).toEqual([6, 5, 4, 2]);
    expect(t.special.bos).toBe(0);
    expect(t.special.eos).toBe(1);
    // no pad or image token in the file: appended after the vocabulary
    expect([t.special.pad, t.special.image]).toEqual([8, 9]);
    expect(t.vocabSize).toBe(10);
    expect(t.decode([6, 5, 9])).toBe("abc ab");
  });

  it("loads from the spec's path and reports a missing file", () => {
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tinyBpe));
    const spec = {
      ...oneSource(dir, { kind: "text", format: "text", path: "x.txt" }),
      tokenizer: { kind: "bpe" as const, path: "tokenizer.json" },
    };
    expect(loadTokenizer(spec).kind).toBe("bpe");
    const missing = { ...spec, tokenizer: { kind: "bpe" as const, path: "nope.json" } };
    expect(() => loadTokenizer(missing)).toThrow(DataError);
  });

  it("refuses a tokenizer path that is a FIFO or a folder instead of reading it forever", () => {
    mkdirSync(join(dir, "folder.json"));
    const paths = ["folder.json"];
    if (process.platform !== "win32") {
      execFileSync("mkfifo", [join(dir, "fifo.json")]);
      paths.push("fifo.json");
    }
    for (const path of paths) {
      const spec = {
        ...oneSource(dir, { kind: "text", format: "text", path: "x.txt" }),
        tokenizer: { kind: "bpe" as const, path },
      };
      expect(() => loadTokenizer(spec)).toThrow(
        /cannot load tokenizer .*: it is (a directory|a FIFO \(named pipe\)), not a regular file/,
      );
    }
  });
});
