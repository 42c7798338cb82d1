// examples/recipe.mm end to end, briefly: `--train pretrain --steps 2`, then `--train finetune
// --steps 3` from its checkpoint on the synthetic instruction split (loss finite, nothing skipped), and
// `mmc data inspect` shows the prompt masked out of the training targets.
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { synthesize } from "../../src/runtime/data-tools/index.js";
import { mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-recipe-"));
const spec = join(dir, "recipe.mm");
copyFileSync(join(ROOT, "examples", "recipe.mm"), spec);

beforeAll(async () => {
  // synth.json present: `mmc run` rewrites nothing
  await synthesize({ outDir: join(dir, "data", "synth"), seed: 0, size: "small" });
});

describe("examples/recipe.mm", () => {
  test("the finetune train starts from pretrain's checkpoint and runs 3 steps on the conversations", () => {
    // before pretrain has run, finetune says which command to run first
    const first = mmc(["run", spec, "--train", "finetune", "--steps", "3", "--backend", "wasm"]);
    expect(first.status).toBe(1);
    expect(first.stderr).toContain("--train pretrain");
    const pre = mmc(["run", spec, "--train", "pretrain", "--steps", "2", "--backend", "wasm"]);
    expect(pre.stderr).toBe("");
    expect(pre.status).toBe(0);
    const r = mmc(["run", spec, "--train", "finetune", "--steps", "3", "--backend", "wasm"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("recipe-pretrain");
    expect(r.stdout).toMatch(/finished at step 3\/3/);
    const lines = readFileSync(join(dir, "runs", "recipe-finetune", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = lines.filter((l) => l["type"] === "step");
    expect(steps.map((s) => s["step"])).toEqual([1, 2, 3]);
    for (const s of steps) expect(Number.isFinite(s["loss"])).toBe(true);
    expect(lines.find((l) => l["type"] === "skipped")).toMatchObject({ samples: 0, files: 0 });
    expect(lines.find((l) => l["type"] === "init")).toBeDefined();
  }, 180_000);

  test("mmc data inspect trains on the answers only", () => {
    const r = mmc(["data", "inspect", spec, "--data", "Instruct", "--samples", "50"]);
    expect(r.status).toBe(0);
    const m = /(\d+) text tokens, (\d+) training targets/.exec(r.stdout);
    expect(m).not.toBeNull();
    // the role tags and questions are text but not targets
    expect(Number(m![2])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeLessThan(Number(m![1]));
    expect(r.stdout).toContain("Assistant: ");
    expect(r.stdout).toContain("no samples skipped");
  });
});
