// A stage whose earlier train's checkpoint no longer fits: the spec changed after `train a` ran
// (the checker sees only the spec, so both trains agree there). Both targets stop before step 1
// with exit 1 and the same one-line message naming the first mismatches and what to do; no
// traceback, no stack.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { mmc } from "../cli/run-mmc.js";
import { torchPython } from "./python.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-stage-mismatch-"));
const spec = join(dir, "stages.mm");

function write(width: number): void {
  writeFileSync(
    spec,
    `import { Decoder } from "std/llm"
model M {
  llm: Decoder { vocab: 260, width: ${width}, depth: 1, heads: 2, mlp: swiglu(64), norm: rms, position: rope, context: 128 }
}
data Text {
  text: jsonl("data/synth/text.jsonl", field: "text")
  synthesize: "data/synth"
}
train a {
  model: M
  data: Text
  steps: 1, batch: 2, sequence: 32, seed: 3
  optimizer: AdamW { lr: 1e-3 }
  schedule: Constant { warmup: 0 }
  checkpoint: { every: 1, dir: "runs/a" }
}
train b {
  model: M
  data: Text
  steps: 1, batch: 2, sequence: 32, seed: 3
  optimizer: AdamW { lr: 1e-3 }
  schedule: Constant { warmup: 0 }
  checkpoint: { every: 1, dir: "runs/b" }
  init: a
}
`,
  );
}

const python = torchPython("the PyTorch half of the stage-mismatch test");
const expected =
  /^error: `.*runs\/a\/step-00000001\.safetensors` of `train a` does not fit this run's model: `llm\.embed\.weight` is \[260, 32\] in the checkpoint and \[260, 48\] in this model; .* \(and \d+ more\)\. The spec changed since `train a` ran: run it again with --fresh, or change this train's model back$/m;
let tsLine: string | undefined;

describe("a stage whose earlier checkpoint no longer fits", () => {
  test("the TypeScript runtime stops with one line", () => {
    write(32);
    expect(mmc(["run", spec, "--train", "a", "--backend", "cpu"]).status).toBe(0);
    write(48);
    const r = mmc(["run", spec, "--train", "b", "--backend", "cpu"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/step 1\/1/);
    tsLine = expected.exec(r.stderr)?.[0];
  }, 180_000);

  test.skipIf(python === undefined)(
    "train.py stops with the same line",
    () => {
      const r = mmc(["run", spec, "--train", "b", "--target", "pytorch"], {
        env: { MMC_PYTHON: python! },
      });
      expect(r.stderr).not.toMatch(/Traceback/);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stdout).not.toMatch(/step 1\/1/);
      expect(expected.exec(r.stderr)?.[0]).toBe(tsLine);
    },
    300_000,
  );
});
