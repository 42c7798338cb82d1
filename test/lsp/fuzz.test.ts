// The server never crashes on garbage: fast-check drives it through the protocol with random
// edits (text with control characters, lone surrogates and CRLF; ranges out of bounds),
// positions out of range or of the wrong type, unknown methods and malformed params. After every
// sequence it must still answer, with no internal error in its log, and at the end exit cleanly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, TestClient, uriOf } from "./client.js";

const SEED = readFileSync(join(ROOT, "examples", "tiny.mm"), "utf8");
const PIECES = [
  "{",
  "}",
  "[",
  "]",
  "(",
  ")",
  ":",
  ",",
  ".",
  "model",
  "llm",
  "ViT",
  "AvgPool",
  "Decoder",
  "budget",
  "vary",
  "train",
  "data",
  "45%",
  "3.2B",
  "80GiB",
  '"',
  "///",
  "/*",
  "\n",
  "\r\n",
  "\r",
  "😀",
  "\ud800",
  "\u0000",
  "\u202e",
  "é",
  " ",
];

const position = fc.oneof(
  fc.record({
    line: fc.integer({ min: -5, max: 200 }),
    character: fc.integer({ min: -5, max: 300 }),
  }),
  fc.record({ line: fc.double(), character: fc.string() }),
  fc.constantFrom(null, undefined, 7, "0:0", [1, 2], { line: 2 ** 40, character: 2 ** 40 }),
);
const text = fc.oneof(
  fc.constant(SEED),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 80 }).map((p) => p.join("")),
  fc
    .tuple(
      fc.nat({ max: SEED.length }),
      fc.nat({ max: 60 }),
      fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }),
    )
    .map(([at, del, ins]) => SEED.slice(0, at) + ins.join("") + SEED.slice(at + del)),
  fc.string({ unit: "binary", maxLength: 200 }),
);
const params = fc.oneof(
  fc.constantFrom(null, 0, "x", [], {}),
  fc.record({
    textDocument: fc.oneof(fc.constant({ uri: "file:///nowhere.mm" }), fc.constant({})),
    position,
  }),
);

type Action =
  | { t: "change-full"; text: string }
  | { t: "change-range"; range: unknown; text: string }
  | { t: "request"; method: string; position: unknown; newName: unknown }
  | { t: "garbage-request"; method: string; params: unknown }
  | { t: "garbage-notification"; method: string; params: unknown };

const METHODS = [
  "textDocument/hover",
  "textDocument/definition",
  "textDocument/references",
  "textDocument/completion",
  "textDocument/rename",
  "textDocument/prepareRename",
  "textDocument/documentSymbol",
  "textDocument/inlayHint",
  "textDocument/formatting",
];

const action: fc.Arbitrary<Action> = fc.oneof(
  text.map((t) => ({ t: "change-full" as const, text: t })),
  fc
    .tuple(
      fc.record({ start: position, end: position }),
      fc.array(fc.constantFrom(...PIECES), { maxLength: 5 }),
    )
    .map(([range, ins]) => ({ t: "change-range" as const, range, text: ins.join("") })),
  fc
    .tuple(
      fc.constantFrom(...METHODS),
      position,
      fc.oneof(fc.constantFrom("x", "Tiny2", "", "model", "😀"), fc.anything()),
    )
    .map(([method, p, newName]) => ({ t: "request" as const, method, position: p, newName })),
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...METHODS),
        fc.constantFrom(
          "mmc/nothing",
          "$/cancelRequest",
          "workspace/symbol",
          "textDocument/codeLens",
        ),
      ),
      fc.oneof(params, fc.anything()),
    )
    .map(([method, p]) => ({ t: "garbage-request" as const, method, params: p })),
  fc
    .tuple(
      fc.constantFrom(
        "textDocument/didChange",
        "textDocument/didOpen",
        "textDocument/didClose",
        "workspace/didChangeWatchedFiles",
        "mmc/unknown",
      ),
      fc.oneof(params, fc.anything()),
    )
    .map(([method, p]) => ({ t: "garbage-notification" as const, method, params: p })),
);

let client: TestClient;
beforeAll(async () => {
  client = await TestClient.start(ROOT);
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

describe("fuzzing through the protocol", () => {
  it("stays alive and answers", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
        const uri = uriOf(join(ROOT, "examples", `fuzz-${n++}.mm`));
        let version = 1;
        await client.conn.sendNotification("textDocument/didOpen", {
          textDocument: { uri, languageId: "mm", version, text: SEED },
        });
        for (const a of actions) {
          if (a.t === "change-full")
            await client.conn.sendNotification("textDocument/didChange", {
              textDocument: { uri, version: ++version },
              contentChanges: [{ text: a.text }],
            });
          else if (a.t === "change-range")
            await client.conn.sendNotification("textDocument/didChange", {
              textDocument: { uri, version: ++version },
              contentChanges: [{ range: a.range, text: a.text }],
            });
          else if (a.t === "request")
            await client.conn
              .sendRequest(a.method, {
                textDocument: { uri },
                position: a.position,
                newName: a.newName,
                context: { includeDeclaration: true },
                range: { start: a.position, end: a.position },
                options: {},
              })
              .catch(() => undefined);
          else if (a.t === "garbage-request")
            await client.conn.sendRequest(a.method, a.params).catch(() => undefined);
          else await client.conn.sendNotification(a.method, a.params);
        }
        // Still alive: it answers a real request on the document, whatever state it is in.
        const h = await client.conn.sendRequest("textDocument/documentSymbol", {
          textDocument: { uri },
        });
        expect(Array.isArray(h) || h === null).toBe(true);
        await client.conn.sendNotification("textDocument/didClose", { textDocument: { uri } });
        expect(client.process.exitCode).toBeNull();
      }),
      // MMC_FUZZ_RUNS and MMC_FUZZ_SEED widen the search by hand; the default is fixed.
      {
        numRuns: Number(process.env["MMC_FUZZ_RUNS"] ?? 60),
        seed: Number(process.env["MMC_FUZZ_SEED"] ?? 20260514),
      },
    );
    // The log is watched: the protocol library itself logs the garbage notifications it drops.
    expect(client.logs.length).toBeGreaterThan(0);
    const log = [...client.logs, ...client.stderr].join("\n");
    expect(log.match(/internal error.*/g) ?? []).toEqual([]);
  }, 300_000);
});
