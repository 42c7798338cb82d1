// Conversation records: the parser's checks and layout, the loss mask the packer gives a
// two-exchange record with an image (worked out by hand), a conversation split across sequences,
// and mangled records, which are skipped and counted, never a crash.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isConversationProblem,
  parseConversation,
  type Conversation,
} from "../../src/runtime/data/conversation.js";
import {
  BYTE_SPECIAL,
  ByteTokenizer,
  renderSkipSummary,
  SequencePacker,
  skipSummary,
  tokenizeDocument,
  type SourceDocument,
  type TokenizedDocument,
} from "../../src/runtime/data/index.js";
import { readOnePass, solidPng, tempDir, writeJsonl } from "./fixtures.js";

const dir = tempDir();
writeFileSync(join(dir, "red.png"), solidPng([255, 0, 0]));
writeFileSync(join(dir, "blue.png"), solidPng([0, 0, 255]));
writeFileSync(join(dir, "broken.png"), Buffer.from("\x89PNG\r\n\x1a\nnot really"));

const turn = (from: string, value: string) => ({ from, value });
const parse = (obj: unknown) => parseConversation(obj as Record<string, unknown>, 64);
const ok = (obj: unknown): Conversation => {
  const c = parse(obj);
  if (isConversationProblem(c)) throw new Error(`unexpected problem: ${c.message}`);
  return c;
};

describe("conversation records", () => {
  it("lays out LLaVA's from/value and the role/content spelling the same way", () => {
    const llava = ok({
      id: "x1",
      image: "a.png",
      conversations: [turn("human", "<image>\nWhat colour?"), turn("gpt", "Red.")],
    });
    const chat = ok({
      images: ["a.png"],
      messages: [
        { role: "user", content: "<image>\nWhat colour?" },
        { role: "assistant", content: "Red." },
      ],
    });
    expect(chat).toEqual(llava);
    expect(llava.segments).toEqual([
      { type: "text", text: "User: ", target: false },
      { type: "image", index: 0 },
      { type: "text", text: "\nWhat colour?\nAssistant: ", target: false },
      { type: "text", text: "Red.\n", target: true },
    ]);
  });

  it("puts the images at the start of the first user turn when there is no marker", () => {
    const c = ok({
      images: ["a.png", "b.png"],
      conversations: [turn("human", "Compare."), turn("gpt", "Same.")],
    });
    expect(c.segments.slice(0, 4)).toEqual([
      { type: "text", text: "User: ", target: false },
      { type: "image", index: 0 },
      { type: "image", index: 1 },
      { type: "text", text: "Compare.\nAssistant: ", target: false },
    ]);
  });

  it.each([
    ["no turns list", { image: "a.png" }, "bad-record"],
    ["both image and images", { image: "a", images: ["b"], conversations: [] }, "bad-record"],
    ["images not paths", { images: [3], conversations: [] }, "bad-record"],
    ["no turns", { conversations: [] }, "bad-turns"],
    ["a turn is not an object", { conversations: ["hi", turn("gpt", "x")] }, "bad-turns"],
    ["a value is not a string", { conversations: [{ from: "human", value: 3 }] }, "bad-turns"],
    [
      "unknown role",
      { conversations: [turn("system", "be nice"), turn("gpt", "ok")] },
      "bad-turns",
    ],
    [
      "starts with the assistant",
      { conversations: [turn("gpt", "hi"), turn("human", "yo")] },
      "bad-turns",
    ],
    ["two user turns", { conversations: [turn("human", "a"), turn("human", "b")] }, "bad-turns"],
    [
      "ends with the user",
      { conversations: [turn("human", "a"), turn("gpt", "b"), turn("human", "c")] },
      "bad-turns",
    ],
    ["empty answer", { conversations: [turn("human", "a"), turn("gpt", "  \n")] }, "bad-turns"],
    [
      "more markers than images",
      { image: "a.png", conversations: [turn("human", "<image><image>"), turn("gpt", "b")] },
      "image-markers",
    ],
    [
      "a marker without an image",
      { conversations: [turn("human", "<image>"), turn("gpt", "b")] },
      "image-markers",
    ],
    [
      "fewer markers than images",
      { images: ["a", "b"], conversations: [turn("human", "<image>"), turn("gpt", "b")] },
      "image-markers",
    ],
    [
      "a marker in an answer",
      { image: "a", conversations: [turn("human", "q"), turn("gpt", "<image>")] },
      "image-markers",
    ],
    [
      "too many images",
      { images: Array.from({ length: 65 }, (_, i) => `${i}.png`), conversations: [] },
      "record-too-large",
    ],
    [
      "too many turns",
      { conversations: Array.from({ length: 514 }, (_, i) => turn(i % 2 ? "gpt" : "human", "x")) },
      "record-too-large",
    ],
  ])("refuses a record with %s", (_, obj, code) => {
    const c = parse(obj);
    expect(isConversationProblem(c) && c.problem).toBe(code);
  });
});

/** Packs one document alone into one sequence of length `sequence`. */
async function packAlone(doc: TokenizedDocument, sequence: number, count = 1) {
  const source = { next: async () => doc, getState: () => ({}) };
  const packer = new SequencePacker(source, BYTE_SPECIAL, {
    sequence,
    imageTokens: 2,
    imagesPerSequence: 4,
    window: 1,
  });
  const out = [];
  for (let i = 0; i < count; i++) out.push(await packer.next());
  return out;
}

const runs = (...rs: [number, 0 | 1][]) => rs.flatMap(([n, v]) => Array<number>(n).fill(v));

describe("prompt masking", () => {
  it("trains on the assistant turns and their end-of-turn newline only", async () => {
    writeJsonl(join(dir, "two.jsonl"), [
      {
        id: 1,
        image: "red.png",
        conversations: [
          turn("human", "<image>\nColour?"),
          turn("gpt", "Red."),
          turn("human", "Shape?"),
          turn("gpt", "A square."),
        ],
      },
    ]);
    const { docs, issues } = await readOnePass(dir, {
      kind: "conversation",
      format: "jsonl",
      path: "two.jsonl",
    });
    expect(issues).toEqual([]);
    const doc = tokenizeDocument(docs[0] as SourceDocument, new ByteTokenizer(), 2);
    // BOS 1, "User: " 6, image 2, "\nColour?\nAssistant: " 20, "Red.\n" 5,
    // "User: Shape?\nAssistant: " 24, "A square.\n" 10, EOS 1: 69 positions
    expect(doc.length).toBe(69);
    const [seq] = await packAlone(doc, 72);
    const tok = new ByteTokenizer();
    const I = BYTE_SPECIAL.image;
    expect(Array.from(seq!.tokens)).toEqual([
      BYTE_SPECIAL.bos,
      ...tok.encode("User: "),
      I,
      I,
      ...tok.encode("\nColour?\nAssistant: Red.\nUser: Shape?\nAssistant: A square.\n"),
      BYTE_SPECIAL.eos,
      ...Array<number>(3).fill(BYTE_SPECIAL.pad),
    ]);
    expect(Array.from(seq!.lossMask)).toEqual(
      runs(
        [1, 0], // BOS
        [6, 0], // "User: "
        [2, 0], // the image's slots
        [20, 0], // "\nColour?\nAssistant: "
        [5, 1], // "Red.\n"
        [24, 0], // "User: Shape?\nAssistant: "
        [10, 1], // "A square.\n"
        [1, 1], // EOS: the model learns to stop after the last answer
        [3, 0], // PAD
      ),
    );
    expect(seq!.imageSlots).toEqual([{ start: 7, length: 2, image: 0 }]);
  });

  it("keeps the mask when a text-only conversation is split across sequences", async () => {
    writeJsonl(join(dir, "long.jsonl"), [
      { conversations: [turn("human", "Say it."), turn("gpt", "abcdefghij")] },
    ]);
    const { docs } = await readOnePass(dir, {
      kind: "conversation",
      format: "jsonl",
      path: "long.jsonl",
    });
    const doc = tokenizeDocument(docs[0] as SourceDocument, new ByteTokenizer(), 2);
    // "User: Say it.\nAssistant: " is 25 positions, "abcdefghij\n" 11; with BOS and EOS 38
    expect(doc.length).toBe(38);
    const [a, b] = await packAlone(doc, 30, 2);
    // sequence 1: BOS, the 25 prompt bytes, then "abcd" of the answer
    expect(Array.from(a!.lossMask)).toEqual(runs([26, 0], [4, 1]));
    // sequence 2: "efghij\n" and EOS are targets, except position 0, which nothing precedes;
    // then the next copy starts with its BOS
    expect(Array.from(b!.lossMask.subarray(0, 8))).toEqual(runs([1, 0], [7, 1]));
    expect(b!.tokens[8]).toBe(BYTE_SPECIAL.bos);
    expect(Array.from(b!.lossMask.subarray(8))).toEqual(runs([22, 0]));
  });

  it("skips and counts records whose images are missing, corrupt or URLs", async () => {
    const q = (image: string) => ({
      image,
      conversations: [turn("human", "<image>"), turn("gpt", "x")],
    });
    writeJsonl(join(dir, "imgs.jsonl"), [
      q("blue.png"),
      q("gone.png"),
      q("broken.png"),
      q("https://example.com/a.png"),
      q("../../etc/passwd"),
    ]);
    const { docs, sink } = await readOnePass(dir, {
      kind: "conversation",
      format: "jsonl",
      path: "imgs.jsonl",
    });
    expect(docs).toHaveLength(1);
    expect(sink.summary()["src"]).toMatchObject({
      "missing-file": 1,
      "corrupt-image": 1,
      "url-image": 1,
      "outside-data-folder": 1,
    });
  });
});

describe("the skip summary", () => {
  it("names the conversation reasons in words", async () => {
    writeJsonl(join(dir, "reasons.jsonl"), [
      { conversations: [turn("gpt", "a"), turn("human", "b")] },
      { conversations: [turn("human", "<image>"), turn("gpt", "b")] },
      { conversations: [turn("human", "q"), turn("gpt", "fine")] },
    ]);
    const { docs, sink } = await readOnePass(dir, {
      kind: "conversation",
      format: "jsonl",
      path: "reasons.jsonl",
    });
    expect(docs).toHaveLength(1);
    // the stream has started its second pass by the time the first one is seen to end
    expect(renderSkipSummary(skipSummary(sink))).toMatch(
      /^skipped \d+ samples: src \d+ \(bad conversation turns \d+, image markers do not match the images \d+\)$/,
    );
  });
});

/** A valid record, then mangled by fast-check: text noise, dropped or retyped fields, cut lines. */
const mangled = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .record(
      {
        image: fc.oneof(fc.constant("red.png"), fc.constant("nope.png"), fc.string(), fc.integer()),
        images: fc.array(fc.oneof(fc.constant("blue.png"), fc.string()), { maxLength: 3 }),
        conversations: fc.oneof(
          fc.array(
            fc.record(
              {
                from: fc.constantFrom("human", "gpt", "user", "assistant", "system", ""),
                role: fc.constantFrom("user", "assistant", "tool"),
                value: fc.oneof(
                  fc.string(),
                  fc.constantFrom("<image>", "<image>\nq", " "),
                  fc.integer(),
                ),
                content: fc.string(),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 6 },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => JSON.stringify(r)),
  fc.tuple(fc.string(), fc.nat(40)).map(([s, cut]) =>
    JSON.stringify({
      image: "red.png",
      conversations: [turn("human", s), turn("gpt", s + "!")],
    }).slice(0, cut + 10),
  ),
);

describe("mangled conversation files", () => {
  it("never crash: every line is a document or a counted skip", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mangled, { minLength: 1, maxLength: 12 }), async (lines) => {
        const rows = lines.filter((l) => l.trim() !== "" && !l.includes("\n") && !l.includes("\r"));
        if (rows.length === 0) return;
        const file = `mangled-${run++}.jsonl`;
        writeFileSync(join(dir, file), rows.join("\n") + "\n");
        const { docs, issues } = await readOnePass(dir, {
          kind: "conversation",
          format: "jsonl",
          path: file,
        });
        // The first pass's issues: the summary would also count the next pass's first line,
        // read when the pass wraps (a bad first line is then counted twice).
        const skipped = issues.filter(
          (i) => i.code !== "empty-source" && i.code !== "repeated-source",
        ).length;
        expect(docs.length + skipped).toBe(rows.length);
        for (const d of docs) {
          const t = tokenizeDocument(d, new ByteTokenizer(), 2);
          expect(t.parts.some((p) => p.type === "text" && p.target === true)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});
