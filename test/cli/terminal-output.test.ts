// Every command that prints user text (a spec's doc comments and strings, file names, names
// given on the command line) prints it escaped, as diagnostics do: no C0 or C1 control, no
// direction override or isolate, no zero-width character reaches the terminal raw, in text or
// JSON output, on stdout or stderr.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { mmc } from "./run-mmc.js";

const tmp = mkdtempSync(join(tmpdir(), "mmc-terminal-"));
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
/** Every hostile character once: ESC (CSI and OSC), BEL, C1 CSI, NEL, RLO, an isolate, ZWSP. */
const HOSTILE = "\x1b[31m\x1b]0;t\x07\u009b2J\u0085\u202e\u2067\u200b";
/** The same characters written as escapes inside a `.mm` string, where they are allowed. */
const HOSTILE_ESCAPED = "\\u{1b}[31m\\u{9b}2J\\u{85}\\u{202e}\\u{2067}\\u{200b}";

const spec = [
  'import { Decoder } from "std/llm"',
  "llm L = Decoder {",
  "  vocab: 260, width: 64, depth: 1, heads: 2, mlp: swiglu(128), norm: rms, position: rope,",
  "  context: 32",
  "}",
  // Raw C0/C1 controls in a doc comment are shown escaped in diagnostics and allowed in comments.
  `/// a doc ${"\x1b[31m\x1b]0;t\x07\u009b2J\u0085"} end`,
  "model M { llm: L }",
  `data D { text: jsonl("a.jsonl", field: "f${HOSTILE_ESCAPED}") }`,
  `train a { model: M, data: D, checkpoint: { every: 10, dir: "r${"\\u{202e}\\u{200b}"}" } }`,
  'train b = a { checkpoint: { every: 10, dir: "r2" } }',
  "",
].join("\n");

function expectClean(r: { stdout: string; stderr: string }): void {
  expect(r.stdout).not.toMatch(RAW);
  expect(r.stderr).not.toMatch(RAW);
}

describe("user text on the terminal is escaped", () => {
  const file = join(tmp, "spec.mm");
  writeFileSync(file, spec);
  const named = join(tmp, `n${HOSTILE}.mm`);
  writeFileSync(named, spec);

  test("the spec is valid: each case below prints its text", () => {
    const r = mmc(["check", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("`mmc info` shows a doc comment escaped", () => {
    const r = mmc(["info", file]);
    expect(r.status).toBe(0);
    expectClean(r);
    expect(r.stdout).toContain("a doc \\x1b[31m\\x1b]0;t\\x07\\x9b2J\\x85 end");
    // The one data line, in the singular for one image (it said "1 images").
    expect(r.stdout).toContain("; 1 image per sequence; tokenizer bytes");
  });

  test("`mmc info --json` escapes what JSON leaves raw, and the JSON reads back the same", () => {
    const r = mmc(["info", named, "--json"]);
    expect(r.status).toBe(0);
    expectClean(r);
    const info = JSON.parse(r.stdout) as { file: string };
    expect(info.file).toBe(named);
  });

  test.each([["check"], ["check", "--format", "short"], ["fmt", "--check"]])(
    "`mmc %s` names a hostile file name escaped",
    (...args) => {
      const r = mmc([...args, named]);
      expectClean(r);
      expect(r.stdout + r.stderr).toContain("n\\x1b[31m");
    },
  );

  test("`mmc diff` shows differing strings escaped, as text and as JSON", () => {
    const text = mmc(["diff", file, "a", "b"]);
    expect(text.status).toBe(0);
    expectClean(text);
    expect(text.stdout).toContain("r\\u{202e}\\u{200b}");
    const json = mmc(["diff", file, "a", "b", "--json"]);
    expect(json.status).toBe(0);
    expectClean(json);
    const d = JSON.parse(json.stdout) as { fields: { path: string; a: unknown }[] };
    expect(d.fields.find((f) => f.path === "checkpoint.dir")?.a).toBe("r\u202e\u200b");
  });

  test("`mmc fmt --check` shows a changed line's hostile text escaped", () => {
    const messy = join(tmp, "messy.mm");
    writeFileSync(messy, `// c ${HOSTILE}\nmodel   M { }\n`);
    const r = mmc(["fmt", "--check", messy]);
    expect(r.status).toBe(1);
    expectClean(r);
  });

  test.each([
    ["explain", `MM${HOSTILE}`],
    [`ch${HOSTILE}eck`],
    ["check", `--for${HOSTILE}mat`, file],
    ["diff", file, "a", `b${HOSTILE}`],
    ["info", join(tmp, `missing${HOSTILE}.mm`)],
  ])("usage errors quote the argument escaped: mmc %s", (...args) => {
    const r = mmc(args);
    expect(r.status).not.toBe(0);
    expect(r.status).not.toBe(70);
    expectClean(r);
    expect(r.stderr).toMatch(/\\x1b\[31m/);
  });
});
