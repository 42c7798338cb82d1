// One owner of the forward pass: training and held-out evaluation run the same generated code, so
// on the same weights and batch they compute the same loss, bit for bit; and the model built by
// the runtime has no forward pass of its own to drift from it.
import { describe, expect, it } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import { MultimodalModel, type ModelBatch } from "../../src/runtime/model.js";
import { evaluate } from "../../src/runtime/run/evaluate.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { forwardCrossEntropy, trainStep } from "../../src/runtime/train/trainer.js";
import { checkedModelCode } from "./generated-code.js";
import { patternBatch, useBackend } from "./helpers.js";

/** Two rows, each with one image at positions 1..k and caption text after it. */
function imageBatch(imageTokens: number, vocab: number, size: number): ModelBatch {
  const b = patternBatch(2, imageTokens + 12, vocab);
  const tokens = Int32Array.from(b.tokens);
  const lossMask = Uint8Array.from(b.lossMask);
  for (let r = 0; r < 2; r++)
    for (let j = 0; j < imageTokens; j++) {
      tokens[r * b.sequence + 1 + j] = 0;
      lossMask[r * b.sequence + 1 + j] = 0;
    }
  return {
    ...b,
    tokens,
    lossMask,
    images: new Float32Array(2 * 3 * size * size).map((_, i) => Math.sin(i * 0.37)),
    imageSize: size,
    imageSlots: [0, 1].map((r) => ({ row: r, start: 1, length: imageTokens, image: r })),
  };
}

describe("training and evaluation share the forward pass", () => {
  const result = checkFile("examples/tiny.mm", fileHost);
  const models = (result.checked?.models ?? []).filter((m) => m.name !== "Tiny144");

  it("the example checks", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(models.map((m) => m.name)).toEqual(["Tiny", "TinyText", "TinyMoE"]);
  });

  it.each(models.map((m) => [m.name, m] as const))(
    "%s: the step's, the divergence check's and the held-out loss are bit-equal",
    async (_name, m) => {
      await useBackend("cpu");
      const code = await checkedModelCode(m);
      const model = new MultimodalModel(m.summary, 6);
      const size = m.image?.[1] ?? 0;
      const batch = m.image
        ? imageBatch(m.summary.imageTokens, model.llm.vocab, size)
        : patternBatch(2, 24, model.llm.vocab);
      const held = await evaluate(model, code, [batch]);
      const judged = await forwardCrossEntropy(model, batch, { loss: code.loss });
      const opt = new AdamW(model.params, { lr: 1e-2 });
      // the step reports the loss of the weights it started from, then updates them
      const step = await trainStep(model, opt, batch, 1e-2, { loss: code.loss });
      expect(Number.isFinite(held.loss)).toBe(true);
      expect(held.loss).toBeGreaterThan(1);
      expect(judged).toBe(held.loss);
      expect(step.crossEntropy).toBe(held.loss);
      // after the update both paths see the new weights: the loss moved, and still agrees
      const after = await evaluate(model, code, [batch]);
      expect(after.loss).not.toBe(held.loss);
      expect(await forwardCrossEntropy(model, batch, { loss: code.loss })).toBe(after.loss);
      opt.dispose();
      model.dispose();
    },
  );

  it("the runtime's model has no loss or logits of its own", () => {
    const proto = Object.getOwnPropertyNames(MultimodalModel.prototype);
    expect(proto).not.toContain("loss");
    expect(proto).not.toContain("logits");
    expect(proto).not.toContain("embed");
  });
});
