// A tiny decoder memorises a fixed sequence: the loss must fall well below its starting value.
import { describe, expect, it } from "vitest";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { learningRate } from "../../src/runtime/train/schedule.js";
import { train, trainStep } from "../../src/runtime/train/trainer.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

for (const backend of ["cpu", "wasm"] as const) {
  describe(`training on ${backend}`, () => {
    it("lowers the loss of a memorisable sequence over 20 steps", async () => {
      await useBackend(backend);
      const model = tinyModel();
      const { loss } = await tinyCode();
      const opt = new AdamW(model.params, { lr: 1e-2, weightDecay: 0.0, clip: 1 });
      const batch = patternBatch();
      const losses: number[] = [];
      for (let i = 0; i < 20; i++)
        losses.push((await trainStep(model, opt, batch, 1e-2, { loss })).loss);
      const first = losses[0] as number;
      expect(first).toBeGreaterThan(Math.log(40) - 0.5);
      expect(losses[19]).toBeLessThan(first * 0.5);
      opt.dispose();
      model.dispose();
    });
  });
}

describe("train()", () => {
  it("runs the given forward pass and reports metrics per step", async () => {
    await useBackend("cpu");
    const model = tinyModel();
    const code = await tinyCode();
    let calls = 0;
    const seen: number[] = [];
    const r = await train({
      model,
      batches: [patternBatch(), patternBatch(), patternBatch()],
      steps: 3,
      optimizer: { lr: 1e-2 },
      schedule: { warmup: 1, final: 0.1 },
      loss: (m, b) => {
        calls++;
        return code.loss(m, b);
      },
      onLog: (m) => {
        seen.push(m.step);
      },
    });
    expect(calls).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(r.stopped).toBe("finished");
    model.dispose();
  });

  it("follows the warm-up and cosine schedule", () => {
    const s = { warmup: 10, final: 0.1 };
    expect(learningRate(s, 0, 110, 1)).toBeCloseTo(0.1, 9);
    expect(learningRate(s, 9, 110, 1)).toBeCloseTo(1, 9);
    expect(learningRate(s, 60, 110, 1)).toBeCloseTo(0.55, 9);
    expect(learningRate(s, 110, 110, 1)).toBeCloseTo(0.1, 9);
  });

  it("decays linearly with `linear` and stays at the peak with `constant`", () => {
    const lin = { kind: "linear" as const, warmup: 10, final: 0.1 };
    expect(learningRate(lin, 60, 110, 1)).toBeCloseTo(0.55, 9);
    expect(learningRate(lin, 35, 110, 1)).toBeCloseTo(0.775, 9);
    expect(learningRate(lin, 110, 110, 1)).toBeCloseTo(0.1, 9);
    expect(learningRate({ kind: "constant", warmup: 10 }, 80, 110, 2)).toBe(2);
  });
});
