// The checker's side of conversation data: both spellings give a `conversation` source read
// from JSONL, and the options other formats take are refused with the usual diagnostics.
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import type { ModuleHost } from "../../src/resolve/program.js";

function check(data: string) {
  const text = `data D {\n${data}\n  tokenizer: bytes\n}\n`;
  const host: ModuleHost = {
    read: (path) => (path === "spec.mm" ? { ok: true, text } : fileHost.read(path)),
    stdlibFile: fileHost.stdlibFile,
  };
  const r = checkFile("spec.mm", host);
  return { sources: r.checked?.data[0]?.sources, codes: r.diagnostics.map((d) => d.code) };
}

describe("conversation sources", () => {
  test("`conversations(...)` and `jsonl(..., kind: conversation)` are the same source", () => {
    const a = check('  instruct: 100% conversations("data/chat.jsonl")');
    const b = check('  instruct: 100% jsonl("data/chat.jsonl", kind: conversation)');
    const c = check('  conversation: 100% jsonl("data/chat.jsonl")');
    expect(a.codes).toEqual([]);
    expect(a.sources).toEqual([
      {
        name: "instruct",
        kind: "conversation",
        format: "jsonl",
        path: "data/chat.jsonl",
        weight: 1,
      },
    ]);
    expect(b.sources).toEqual(a.sources);
    expect(c.sources?.[0]).toMatchObject({ kind: "conversation", format: "jsonl" });
  });

  test("mixes with the other sources", () => {
    const r = check(
      '  instruct: 90% conversations("chat.jsonl")\n  text: 10% jsonl("t.jsonl", field: "text")',
    );
    expect(r.codes).toEqual([]);
    expect(r.sources?.map((s) => [s.kind, s.weight])).toEqual([
      ["conversation", 0.9],
      ["text", 0.1],
    ]);
  });

  test.each([
    ['  instruct: 100% conversations("chat.jsonl", field: "text")', "MM4004"],
    ['  instruct: 100% jsonl("chat.jsonl", kind: conversation, field: "x")', "MM4004"],
    ["  instruct: 100% conversations()", "MM4004"],
    ['  instruct: 100% conversations("https://x.org/chat.jsonl")', "MM4004"],
    ['  instruct: 100% conversations("/abs/chat.jsonl")', "MM2016"],
    ['  instruct: 100% conversations("c.jsonl")\n  heldout: conversations("h.jsonl")', "MM4004"],
    ['  instruct: 100% conversation("chat.jsonl")', "MM4003"],
  ])("%s is %s", (data, code) => {
    expect(check(data).codes).toContain(code);
  });
});
