// The rule for a train whose model has `init` files and which also starts from an earlier train
// (`init: <train>`): the files load first, then the earlier train's checkpoint over them, so every
// tensor the checkpoint holds is the checkpoint's (the stage wins). `big` moves the weights well
// away from the file (lr 0.05); `post` starts from `big` with lr 1e-9, so its first checkpoint
// holds `big`'s weights to 1e-6 and the file's only if the rule were the other way round. Both
// targets, and the PyTorch run starts from the TypeScript checkpoint.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { decodeSafetensors } from "../../src/runtime/checkpoint/safetensors.js";
import { mmc } from "../cli/run-mmc.js";
import { torchPython } from "../pytorch/python.js";
import { llamaTensors, safetensorsBytes, writeFixture } from "./hf-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-stage-over-init-"));
const spec = join(dir, "stages.mm");
const LLAMA = { vocab: 260, width: 32, depth: 1, heads: 2, kvHeads: 2, hidden: 64 };
const file = join(dir, "w", "llama.safetensors");
writeFixture(file, safetensorsBytes(llamaTensors(LLAMA), 5, "F32"));

const trainBlock = (name: string, lr: string, steps: number, init: string): string => `
train ${name} {
  model: Pre
  data: Text
  steps: ${steps}, batch: 2, sequence: 32, seed: 3
  optimizer: AdamW { lr: ${lr}, weight_decay: 0 }
  schedule: Constant { warmup: 0 }
  checkpoint: { every: ${steps}, dir: "runs/${name}" }${init}
  log_every: 1
}
`;
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
${trainBlock("big", "0.05", 2, "")}${trainBlock("post", "1e-9", 1, "\n  init: big")}`,
);

function embedOf(run: string, step: number): Float32Array {
  const path = join(dir, "runs", run, `step-${String(step).padStart(8, "0")}.safetensors`);
  const t = decodeSafetensors(readFileSync(path)).tensors.get("param.llm.embed.weight");
  return t!.data as Float32Array;
}

/** The file's embedding (`model.embed_tokens.weight`, F32, [vocab, width] in both layouts). */
function fileEmbed(): Float32Array {
  const bytes = readFileSync(file);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const [a, b] = header["model.embed_tokens.weight"]!.data_offsets;
  return new Float32Array(bytes.slice(8 + n + a, 8 + n + b).buffer);
}

const largest = (x: Float32Array, y: Float32Array): number =>
  x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);

const python = torchPython("the PyTorch half of the stage-over-init test");

describe("a stage over a model with init files", () => {
  test("the earlier train's checkpoint wins over the files", () => {
    const big = mmc(["run", spec, "--train", "big", "--backend", "cpu"]);
    expect(big.stderr).not.toContain("error");
    expect(big.status).toBe(0);
    const post = mmc(["run", spec, "--train", "post", "--backend", "cpu"]);
    expect(post.status).toBe(0);
    // both are loaded and said, files first
    const files = post.stdout.indexOf("init: llm from");
    const stage = post.stdout.indexOf("starting from the weights of `train big` at step 2");
    expect(files).toBeGreaterThanOrEqual(0);
    expect(stage).toBeGreaterThan(files);
    const bigEmbed = embedOf("big", 2);
    // the test can fail: `big` really moved the weights away from the file
    expect(largest(bigEmbed, fileEmbed())).toBeGreaterThan(1e-2);
    expect(largest(embedOf("post", 1), bigEmbed)).toBeLessThan(1e-6);
  }, 240_000);

  test.skipIf(python === undefined)(
    "train.py does the same from the TypeScript checkpoint",
    () => {
      const env = { MMC_PYTHON: python! };
      const r = mmc(["run", spec, "--train", "post", "--target", "pytorch", "--fresh"], { env });
      expect(r.stderr).not.toMatch(/Traceback/);
      expect(r.status).toBe(0);
      const files = r.stdout.indexOf("init: llm from");
      expect(files).toBeGreaterThanOrEqual(0);
      expect(
        r.stdout.indexOf("starting from the weights of `train big` at step 2"),
      ).toBeGreaterThan(files);
      expect(largest(embedOf("post", 1), embedOf("big", 2))).toBeLessThan(1e-6);
    },
    300_000,
  );
});
