// `freeze` on the PyTorch target: train.py leaves the frozen tensors bit-identical to the weights
// it started from, writes no AdamW moments for them (as the TypeScript runtime does), and resumes
// such a checkpoint. Skipped with a notice without torch.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { readCheckpoint } from "../../src/runtime/checkpoint/checkpoint.js";
import { encodeSafetensors, type StTensor } from "../../src/runtime/checkpoint/safetensors.js";
import { synthesize } from "../../src/runtime/data-tools/index.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { useBackend } from "../runtime/helpers.js";
import { runPython, torchPython } from "./python.js";

const python = torchPython("the PyTorch freeze test");

const SPEC = `
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 32, depth: 2, heads: 2, mlp: swiglu(64), context: 64 }
}

data Mix {
  caption: 60% webdataset("data/synth/caption-{0000..0003}.tar")
  text:    40% jsonl("data/synth/text.jsonl", field: "text")
  images_per_sequence: 1
}

train t {
  model: Small
  data: Mix
  steps: 3, batch: 2, sequence: 64, seed: 3
  freeze: [vision, "llm.layers.0"]
  optimizer: AdamW { lr: 3e-3, weight_decay: 0.1 }
  checkpoint: { every: 3, dir: "runs/t" }
  log_every: 1
}
`;

function bits(t: StTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

describe.skipIf(python === undefined)("freeze in train.py", () => {
  let root = "";
  let pkg = "";
  const start = new Map<string, StTensor>();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "mmc-freeze-py-"));
    await synthesize({
      outDir: join(root, "data", "synth"),
      seed: 0,
      size: "small",
      imageSize: 32,
    });
    writeFileSync(join(root, "train.mm"), SPEC);
    const r = checkSpec(join(root, "train.mm"));
    expect(r.checked, JSON.stringify(r.diagnostics.map((d) => d.message))).toBeDefined();
    pkg = join(root, "pkg");
    writeFiles(pkg, await generatePytorch(r.checked!, r.sources, join(root, "train.mm"), pkg));
    await useBackend("cpu");
    const model = new MultimodalModel(r.checked!.trains[0]!.model.summary, 5);
    for (const [n, v] of model.params.entries())
      start.set(n, { dtype: "F32", shape: [...v.shape], data: v.dataSync() as Float32Array });
    model.dispose();
    writeFileSync(join(root, "init.safetensors"), encodeSafetensors(start));
  }, 300_000);

  test("frozen tensors stay bit-identical, get no moments, and resume", async () => {
    const run = join(root, "run");
    const init = join(root, "init.safetensors");
    runPython(python!, [join(pkg, "train.py"), "--run-dir", run, "--init", init]);
    const saved = await readCheckpoint(join(run, "step-00000003.safetensors"));
    const frozen = [...start.keys()].filter(
      (n) => n.startsWith("vision.") || n.startsWith("llm.layers.0."),
    );
    expect(frozen.length).toBeGreaterThan(10);
    for (const [n, t] of start) {
      const after = saved.tensors.get(`param.${n}`)!;
      expect(bits(after).equals(bits(t)), n).toBe(frozen.includes(n));
      expect(saved.tensors.has(`adam_m.${n}`), n).toBe(!frozen.includes(n));
      expect(saved.tensors.has(`adam_v.${n}`), n).toBe(!frozen.includes(n));
    }
    runPython(python!, [join(pkg, "train.py"), "--run-dir", run, "--resume", "--steps", "4"]);
    const resumed = await readCheckpoint(join(run, "step-00000004.safetensors"));
    for (const n of frozen)
      expect(bits(resumed.tensors.get(`param.${n}`)!).equals(bits(start.get(n)!)), n).toBe(true);
  }, 600_000);
});
