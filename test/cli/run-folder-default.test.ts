// A train without a `checkpoint` block writes its run folder (metrics.jsonl, the final weights)
// to `runs/<name>` in the spec's folder, whichever folder `mmc run` is started from: before, it
// landed in the working folder's `runs/`.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { mmc } from "./run-mmc.js";

const root = mkdtempSync(join(tmpdir(), "mmc-rundir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const project = join(root, "project");
const elsewhere = join(root, "elsewhere");
mkdirSync(project);
mkdirSync(elsewhere);
writeFileSync(
  join(project, "text.jsonl"),
  Array.from({ length: 8 }, (_, i) => JSON.stringify({ text: `line ${i} of text` })).join("\n") +
    "\n",
);
writeFileSync(
  join(project, "plain.mm"),
  `import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 260, width: 16, depth: 1, heads: 2, context: 64 }
}

data Text {
  text: 100% jsonl("text.jsonl", field: "text")
}

train plain {
  model: TextOnly
  data: Text
  steps: 1, batch: 2, sequence: 32
}
`,
);

describe("the run folder of a train without `checkpoint`", () => {
  test("is `runs/<name>` in the spec's folder, not in the working folder", () => {
    const r = mmc(["run", join("..", "project", "plain.mm"), "--backend", "cpu"], {
      cwd: elsewhere,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const metrics = join(project, "runs", "plain", "metrics.jsonl");
    expect(existsSync(metrics)).toBe(true);
    expect(readFileSync(metrics, "utf8")).toMatch(/"type":"step"/);
    expect(existsSync(join(elsewhere, "runs"))).toBe(false);
    expect(r.stdout).toContain(
      `run folder: ${join(project, "runs", "plain")} (metrics.jsonl; no checkpoints)`,
    );
  });
});
