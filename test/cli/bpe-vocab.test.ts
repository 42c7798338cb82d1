// A BPE tokenizer.json with more ids than `llm.vocab`: the checker reads its ids, so `mmc check`
// and `mmc run` stop with MM5005 (exit 1) instead of the run indexing past the embedding (it
// was exit 70). With `vocab` raised to the count the checker gives, the same run trains.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-bpe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
copyFileSync(
  join(ROOT, "test", "golden", "train", "files", "tokenizer.json"),
  join(dir, "tokenizer.json"),
);
writeFileSync(
  join(dir, "text.jsonl"),
  Array.from({ length: 20 }, (_, i) =>
    JSON.stringify({ text: `abc ab ca ${"abc ".repeat(i)}` }),
  ).join("\n") + "\n",
);

function spec(vocab: number): string {
  const path = join(dir, `bpe-${vocab}.mm`);
  writeFileSync(
    path,
    `import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: ${vocab}, width: 16, depth: 1, heads: 2, context: 64 }
}

data Text {
  text: 100% jsonl("text.jsonl", field: "text")
  tokenizer: bpe("tokenizer.json")
}

train t {
  model: TextOnly
  data: Text
  steps: 1, batch: 2, sequence: 32
}
`,
  );
  return path;
}

describe("a BPE tokenizer with more ids than `llm.vocab`", () => {
  test("`mmc check` and `mmc run` report MM5005 and exit 1", () => {
    const file = spec(8);
    const check = mmc(["check", file, "--format", "short"], { cwd: dir });
    expect(check.stderr + check.stdout).toContain(
      "error[MM5005]: the language model's `vocab` 8 is smaller than the tokenizer's 10 ids",
    );
    expect(check.status).toBe(1);
    const run = mmc(["run", file, "--backend", "cpu", "--steps", "1"], { cwd: dir });
    expect(run.stderr + run.stdout).toContain("error[MM5005]");
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(run.status).toBe(1);
  });

  test("the count the checker asks for is enough for the run", () => {
    const run = mmc(["run", spec(10), "--backend", "cpu", "--steps", "1"], { cwd: dir });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
