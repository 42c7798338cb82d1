// `mmc run` with pretrained weights, end to end: the run says what it loaded in its first lines,
// the weights it trains from are the file's (with a learning rate of 1e-9, the first checkpoint
// holds them to 1e-6), and a resumed run reads its own checkpoint, not the file again.
import { mkdtempSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decodeSafetensors } from "../../src/runtime/checkpoint/safetensors.js";
import { mmc } from "../cli/run-mmc.js";
import { torchPython } from "../pytorch/python.js";
import { llamaTensors, safetensorsBytes, writeFixture } from "./hf-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-run-init-"));
const spec = join(dir, "pre.mm");
const LLAMA = { vocab: 260, width: 32, depth: 1, heads: 2, kvHeads: 2, hidden: 64 };

writeFixture(join(dir, "w", "llama.safetensors"), safetensorsBytes(llamaTensors(LLAMA), 9, "BF16"));
writeFileSync(
  spec,
  `import { Decoder } from "std/llm"
model Pre {
  llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, mlp: swiglu(64), norm: rms, position: rope, context: 128, init: safetensors("w/llama.safetensors", layout: hf) }
}
data Text {
  text: jsonl("data/synth/text.jsonl", field: "text")
  synthesize: "data/synth"
}
train pre {
  model: Pre
  data: Text
  steps: 1, batch: 2, sequence: 32, seed: 3
  optimizer: AdamW { lr: 1e-9, weight_decay: 0 }
  schedule: Constant { warmup: 0 }
  checkpoint: { every: 1, dir: "runs/pre" }
  eval: { every: 1, batches: 1 }
  log_every: 1
}
`,
);

const python = torchPython("the PyTorch half of the `mmc run` init test");
/** The first step's loss as the TypeScript run printed it. */
let tsLoss: string | undefined;

function checkpoint(step: number): Map<string, Float32Array> {
  const file = join(dir, "runs", "pre", `step-${String(step).padStart(8, "0")}.safetensors`);
  const st = decodeSafetensors(readFileSync(file));
  const out = new Map<string, Float32Array>();
  for (const [n, t] of st.tensors) if (n.startsWith("param.")) out.set(n, t.data as Float32Array);
  return out;
}

describe("mmc run with init", () => {
  test("loads the weights before step 0 and says so", () => {
    const r = mmc(["run", spec, "--backend", "cpu"]);
    // the checker's one finding: the file is BF16, widened to fp32
    expect(r.stderr).toMatch(/^warning\[MM9011\]: /);
    expect(r.stderr).not.toContain("error");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /init: llm from `.*w\/llama\.safetensors` \(hf layout, 12 tensors; 12 BF16 widened to fp32\)/,
    );
    tsLoss = /step 1\/1 +loss (\S+)/.exec(r.stdout)?.[1];
    expect(tsLoss).toBeDefined();
    const params = checkpoint(1);
    // the embedding is [vocab, width] in both layouts: compare it value for value
    const bytes = readFileSync(join(dir, "w", "llama.safetensors"));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<
      string,
      { data_offsets: [number, number] }
    >;
    const at = 8 + n + header["model.embed_tokens.weight"]!.data_offsets[0];
    const embed = params.get("param.llm.embed.weight")!;
    const f = new DataView(new ArrayBuffer(4));
    let worst = 0;
    for (let i = 0; i < embed.length; i++) {
      f.setUint32(0, view.getUint16(at + 2 * i, true) * 65536, true);
      worst = Math.max(worst, Math.abs(embed[i]! - f.getFloat32(0, true)));
    }
    expect(worst).toBeLessThan(1e-6);
  }, 180_000);

  test("a resumed run does not load the file again", () => {
    const r = mmc(["run", spec, "--backend", "cpu", "--resume", "--steps", "2"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("resuming from step 1");
    expect(r.stdout).not.toContain("init: llm");
  }, 180_000);

  test.skipIf(python === undefined)(
    "train.py loads the same weights: the same first loss; not on resume",
    () => {
      const env = { MMC_PYTHON: python! };
      const r = mmc(["run", spec, "--target", "pytorch", "--fresh"], { env });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(
        "init: llm from `w/llama.safetensors` (hf layout, 12 tensors; 12 BF16 widened to fp32)",
      );
      expect(/step 1\/1 +loss (\S+)/.exec(r.stdout)?.[1]).toBe(tsLoss);
      const again = mmc(["run", spec, "--target", "pytorch", "--resume", "--steps", "2"], { env });
      expect(again.status).toBe(0);
      expect(again.stdout).toContain("resuming from step 1");
      expect(again.stdout).not.toContain("init: llm");
    },
    300_000,
  );
});
