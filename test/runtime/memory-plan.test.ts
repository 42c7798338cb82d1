// The wasm heap plan: a step that would not fit the 4 GiB heap in one pass is split into passes
// that do (the trainer accumulates them into the same step); one that cannot fit even one row is a
// clear error before training starts, never an abort or a hang.
import { describe, expect, it } from "vitest";
import { composeModel, type ModelInput } from "../../src/components/model.js";
import {
  planWasmPasses,
  WASM_HEAP_BUDGET,
  WASM_HEAP_BYTES,
} from "../../src/runtime/run/memory-plan.js";

function decoder(width: number, depth: number, context: number): ModelInput {
  return {
    llm: {
      kind: "Decoder",
      config: {
        vocab: 260,
        width,
        depth,
        heads: 8,
        mlp: { fn: "swiglu", hidden: 4 * width },
        context,
      },
    },
  };
}

function plan(input: ModelInput, batch: number, sequence: number) {
  const composed = composeModel(input);
  if (!composed.ok) throw new Error("bad test model");
  return planWasmPasses(input, composed.params, batch, sequence);
}

describe("planWasmPasses", () => {
  it("keeps a small step in one pass", () => {
    expect(plan(decoder(128, 2, 256), 8, 128)).toMatchObject({
      ok: true,
      passes: 1,
      rowsPerPass: 8,
    });
  });

  it("splits a step that would not fit into passes that do", () => {
    const p = plan(decoder(512, 8, 256), 16, 256);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.passes).toBeGreaterThan(1);
    expect(p.rowsPerPass * p.passes).toBeGreaterThanOrEqual(16);
    expect((p.rowsPerPass - 1) * p.passes).toBeLessThan(16); // passes as even as they can be
    expect(p.heapBytes).toBeLessThanOrEqual(WASM_HEAP_BUDGET);
    // and more rows per pass would not have fitted
    const bigger = plan(decoder(512, 8, 256), p.rowsPerPass + 1, 256);
    expect(bigger.ok && bigger.passes).toBeGreaterThan(1);
  });

  it("refuses a step whose single row cannot fit, saying what to change", () => {
    const p = plan(decoder(2048, 24, 4096), 4, 4096);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.message).toMatch(new RegExp(`at most ${WASM_HEAP_BYTES / 2 ** 30} GiB`));
    expect(p.message).toMatch(/lower `sequence`.*--backend webgpu/);
  });
});
