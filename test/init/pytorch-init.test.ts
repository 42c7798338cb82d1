// The same pretrained weights in both targets: the TypeScript runtime and the PyTorch target's
// model.py each load a CLIP tower (Hugging Face layout, F32), a Llama decoder (HF layout, BF16)
// and the connector through a model-level name map (mmc layout), and their logits on the same
// batch agree. Skipped with a notice where no Python has torch.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { loadInitWeights } from "../../src/runtime/checkpoint/load-init.js";
import { encodeSafetensors, type StTensor } from "../../src/runtime/checkpoint/safetensors.js";
import { uniformStream } from "../../src/runtime/init.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { runPython, torchPython } from "../pytorch/python.js";
import { checkedModelCode } from "../runtime/generated-code.js";
import { useBackend } from "../runtime/helpers.js";
import { clipVisionTensors, llamaTensors, safetensorsBytes, writeFixture } from "./hf-fixtures.js";

const python = torchPython(
  "the init parity test (TypeScript and PyTorch loading the same weights)",
);
const dir = mkdtempSync(join(tmpdir(), "mmc-init-parity-"));
const SPEC = join(dir, "spec.mm");

const f32 = (data: Float32Array, shape: number[]): StTensor => ({ dtype: "F32", shape, data });

describe.skipIf(python === undefined)("init: TypeScript and PyTorch load the same weights", () => {
  let result: { lines: string[]; max_diff: number; max: number } | undefined;
  let tsLines: string[] = [];

  beforeAll(async () => {
    await useBackend("cpu");
    writeFixture(
      join(dir, "w/clip.safetensors"),
      safetensorsBytes(
        clipVisionTensors({ image: 16, patch: 8, width: 16, depth: 2, hidden: 32 }),
        31,
      ),
    );
    writeFixture(
      join(dir, "w/llama.safetensors"),
      safetensorsBytes(
        llamaTensors({ vocab: 40, width: 32, depth: 2, heads: 4, kvHeads: 2, hidden: 48 }),
        32,
        "BF16",
      ),
    );
    // The connector in mmc's layout ([in, out]) under names of "another tool", with a map.
    const next = uniformStream(33);
    const rand = (n: number) => new Float32Array(n).map(() => (next() * 2 - 1) * 0.3);
    const projector = new Map<string, StTensor>([
      ["proj.a.w", f32(rand(16 * 32), [16, 32])],
      ["proj.a.b", f32(rand(32), [32])],
      ["proj.b.w", f32(rand(32 * 32), [32, 32])],
      ["proj.b.b", f32(rand(32), [32])],
    ]);
    writeFixture(join(dir, "w/projector.safetensors"), encodeSafetensors(projector));
    writeFileSync(
      join(dir, "w/projector-names.json"),
      JSON.stringify({
        "connector.fc1.weight": "proj.a.w",
        "connector.fc1.bias": "proj.a.b",
        "connector.fc2.weight": "proj.b.w",
        "connector.fc2.bias": "proj.b.b",
      }),
    );
    writeFileSync(
      SPEC,
      `import { ViT } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"
model M {
  init: safetensors("w/projector.safetensors", map: "w/projector-names.json")
  image: Image[3, 16, 16]
  vision: ViT { patch: 8, width: 16, depth: 2, heads: 2, mlp: quick_gelu(32), patch_bias: false, pre_norm: true, init: safetensors("w/clip.safetensors", layout: hf) }
  connector: MLPProjector {}
  llm: Decoder { vocab: 40, width: 32, depth: 2, heads: 4, kv_heads: 2, mlp: swiglu(48), norm: rms, position: rope, context: 64, init: safetensors("w/llama.safetensors", layout: hf) }
}
`,
    );
    const checked = checkSpec(SPEC);
    expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(hasErrors(checked.diagnostics)).toBe(false);
    const m = checked.checked!.models[0]!;
    writeFiles(dir, await generatePytorch(checked.checked!, checked.sources, SPEC, dir));

    const model = new MultimodalModel(m.summary, 7);
    tsLines = loadInitWeights(
      model.params,
      { image: m.image!, vision: m.parts.vision!, connector: m.parts.connector!, llm: m.parts.llm },
      (m.init ?? []).map(({ scope, source: s }) => ({
        scope,
        path: s.path,
        root: s.root,
        layout: s.layout,
        ...(s.map !== undefined ? { map: s.map } : {}),
      })),
    );
    const k = m.summary.imageTokens;
    const b = 2;
    const t = 2 * k + 10;
    const tokens = new Int32Array(b * t).map(() => Math.floor(next() * 40));
    const slots = [
      { row: 0, start: 2, length: k, image: 0 },
      { row: 1, start: 1, length: k, image: 1 },
    ];
    for (const s of slots) for (let j = 0; j < s.length; j++) tokens[s.row * t + s.start + j] = 0;
    const images = new Float32Array(2 * 3 * 16 * 16).map(() => next() * 2 - 1);
    const batch = {
      batchSize: b,
      sequence: t,
      tokens,
      lossMask: new Float32Array(b * t).fill(1),
      images,
      imageSize: 16,
      imageSlots: slots,
    };
    const code = await checkedModelCode(m);
    const logits = tf.tidy(() => code.forward(model, batch).logits);
    const tensors = new Map<string, StTensor>([
      ["tokens", { dtype: "I32", shape: [b, t], data: tokens }],
      ["images", f32(images, [2, 3, 16, 16])],
      [
        "image_slots",
        {
          dtype: "I32",
          shape: [2, 4],
          data: Int32Array.from(slots.flatMap((s) => [s.row, s.start, s.length, s.image])),
        },
      ],
      ["logits", f32(logits.dataSync() as Float32Array, [...logits.shape])],
    ]);
    logits.dispose();
    model.dispose();
    writeFileSync(join(dir, "case.safetensors"), encodeSafetensors(tensors));
    runPython(python!, [
      join(import.meta.dirname, "init_parity.py"),
      join(dir, "model.py"),
      dir,
      "M",
      join(dir, "case.safetensors"),
      join(dir, "result.json"),
    ]);
    result = JSON.parse(readFileSync(join(dir, "result.json"), "utf8")) as typeof result;
  }, 600_000);

  test("both load every part from its file and say so alike", () => {
    expect(tsLines).toHaveLength(3);
    expect(result!.lines).toHaveLength(3);
    expect(tsLines.join("\n")).toContain("connector from");
    expect(tsLines.join("\n")).toContain("BF16 widened to fp32");
    expect(result!.lines.join("\n")).toContain("BF16 widened to fp32");
  });

  test("the logits agree to 1e-5 of their size", () => {
    // the logits are of order one here (weights of 0.2), so a wrong transpose is far off
    expect(result!.max).toBeGreaterThan(0.1);
    expect(result!.max_diff).toBeLessThan(1e-5 * Math.max(1, result!.max));
  });
});
