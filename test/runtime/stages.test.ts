// Training stages in the runtime: frozen tensors stay bit-identical and get no AdamW state (and
// are in every checkpoint; a resumed run continues them), and a stage started from a dense
// model's checkpoint has MoE experts equal to the dense MLP, routers initialised as usual.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { planStage } from "../../src/components/stages.js";
import { readCheckpoint, saveCheckpoint } from "../../src/runtime/checkpoint/checkpoint.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import type { RunConfig } from "../../src/runtime/run/run-config.js";
import {
  applyStageStart,
  findStageStart,
  frozenTensors,
} from "../../src/runtime/run/stage-start.js";
import { RunError } from "../../src/runtime/run/errors.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { train } from "../../src/runtime/train/trainer.js";
import { patternBatch, tinyCode, tinyDecoder, tinyModel, useBackend } from "./helpers.js";

async function values(model: MultimodalModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.params.entries()) out.set(name, (await v.data()) as Float32Array);
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const quiet = (): void => undefined;

describe("freeze", () => {
  it("leaves frozen tensors bit-identical over training and gives them no AdamW state", async () => {
    await useBackend("cpu");
    const model = tinyModel();
    const { loss } = await tinyCode();
    const config = { freeze: ["llm.embed", "llm.layers.0"] } as unknown as RunConfig;
    const frozen = frozenTensors(config, model.params, quiet);
    const names = model.params.specs.map((s) => s.name);
    const expected = names.filter((n) => n === "llm.embed.weight" || n.startsWith("llm.layers.0."));
    expect([...frozen].sort()).toEqual([...expected].sort());
    expect(expected.length).toBeGreaterThan(5);
    const before = await values(model);
    const dir = mkdtempSync(join(tmpdir(), "mmc-freeze-"));
    const r = await train({
      model,
      loss,
      batches: () => patternBatch(),
      steps: 4,
      optimizer: { lr: 1e-2, weightDecay: 0.1, clip: 1 },
      schedule: { warmup: 0, final: 1 },
      frozen,
      checkpoint: { every: 2, dir },
    });
    expect(r.stepsDone).toBe(4);
    const after = await values(model);
    for (const n of names) {
      const same = sameBits(before.get(n)!, after.get(n)!);
      expect(same, n).toBe(frozen.has(n));
    }
    // The checkpoint holds every weight, and moments for the trainable tensors only.
    const saved = await readCheckpoint(join(dir, "step-00000004.safetensors"));
    const keys = [...saved.tensors.keys()];
    expect(keys.filter((k) => k.startsWith("param.")).length).toBe(names.length);
    const moments = keys.filter((k) => k.startsWith("adam_m.")).map((k) => k.slice(7));
    expect(moments.sort()).toEqual(names.filter((n) => !frozen.has(n)).sort());
    expect(keys.some((k) => k.startsWith("adam_v.llm.embed"))).toBe(false);
    // A resumed run loads that state (the same frozen set) and keeps the frozen tensors as saved.
    const again = tinyModel({}, 9);
    const resumed = await train({
      model: again,
      loss,
      batches: () => patternBatch(),
      steps: 6,
      optimizer: { lr: 1e-2, weightDecay: 0.1, clip: 1 },
      schedule: { warmup: 0, final: 1 },
      frozen,
      checkpoint: { every: 2, dir },
      resume: true,
    });
    expect(resumed.resumedFrom?.step).toBe(4);
    const end = await values(again);
    for (const n of frozen) expect(sameBits(end.get(n)!, after.get(n)!), n).toBe(true);
    model.dispose();
    again.dispose();
  });

  it("an AdamW given frozen names holds moments for the others only", async () => {
    await useBackend("cpu");
    const model = tinyModel();
    const frozen = new Set(["llm.embed.weight"]);
    const opt = new AdamW(model.params, { lr: 1e-3 }, frozen);
    expect(opt.m.has("llm.embed.weight")).toBe(false);
    expect(opt.v.has("llm.embed.weight")).toBe(false);
    expect(opt.m.size).toBe(model.params.specs.length - 1);
    opt.dispose();
    model.dispose();
  });
});

describe("a stage started from a dense checkpoint", () => {
  it("starts each MoE expert as the dense MLP and keeps the router fresh", async () => {
    await useBackend("cpu");
    const dense = tinyModel({}, 1);
    const dir = mkdtempSync(join(tmpdir(), "mmc-stage-"));
    await saveCheckpoint(dir, dense.params, undefined, {
      step: 7,
      backend: "cpu",
      extra: { train: "pre" },
    });
    const moeConfig = tinyDecoder({
      moe: { experts: 3, top_k: 1, every: 2, shared: 1 },
    });
    const fresh = MultimodalModel.fromInput({ llm: { kind: "Decoder", config: moeConfig } }, 5);
    const routerBefore = (await fresh.params
      .get("llm.layers.1.moe.router.weight")
      .data()) as Float32Array;
    const config = {
      name: "fine",
      init: { train: "pre", dir, spec: join(dir, "spec.mm") },
    } as unknown as RunConfig;
    const start = await findStageStart(config);
    expect(start?.checkpoint.meta.step).toBe(7);
    const plan = applyStageStart(start!, fresh.params);
    expect(plan.upcycledLayers).toEqual([1]);
    const d = await values(dense);
    const f = await values(fresh);
    for (const part of ["gate", "up", "down"]) {
      const mlp = d.get(`llm.layers.1.mlp.${part}.weight`)!;
      for (const e of ["experts.0", "experts.1", "experts.2", "shared.0"])
        expect(sameBits(f.get(`llm.layers.1.moe.${e}.mlp.${part}.weight`)!, mlp), e).toBe(true);
    }
    expect(
      sameBits(f.get("llm.layers.0.attn.q.weight")!, d.get("llm.layers.0.attn.q.weight")!),
    ).toBe(true);
    expect(sameBits(f.get("llm.layers.1.moe.router.weight")!, routerBefore)).toBe(true);
    dense.dispose();
    fresh.dispose();
    tf.disposeVariables();
  });

  it("says which command to run first when the earlier train has no checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-stage-none-"));
    const config = {
      name: "fine",
      init: { train: "pre", dir, spec: join(process.cwd(), "my spec.mm") },
    } as unknown as RunConfig;
    const e = await findStageStart(config).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(RunError);
    expect((e as Error).message).toMatch(
      /^`train fine` starts from the weights of `train pre`, which has no checkpoint in `.*` yet: run `mmc run 'my spec\.mm' --train pre` first$/,
    );
  });
});

describe("planStage", () => {
  it("copies equal tensors, upcycles dense MLPs and lists every mismatch", () => {
    const from = [
      { name: "llm.embed.weight", shape: [10, 4] },
      { name: "llm.layers.0.mlp.up.weight", shape: [4, 8] },
      { name: "llm.extra", shape: [2] },
    ];
    const to = [
      { name: "llm.embed.weight", shape: [10, 6] },
      { name: "llm.layers.0.moe.router.weight", shape: [4, 2] },
      { name: "llm.layers.0.moe.experts.0.mlp.up.weight", shape: [4, 8] },
      { name: "llm.layers.0.moe.experts.1.mlp.up.weight", shape: [4, 16] },
      { name: "llm.new", shape: [3] },
    ];
    const plan = planStage(from, to);
    expect(plan.sources.get("llm.layers.0.moe.experts.0.mlp.up.weight")).toEqual({
      kind: "upcycle",
      from: "llm.layers.0.mlp.up.weight",
    });
    expect(plan.sources.get("llm.layers.0.moe.router.weight")).toEqual({ kind: "fresh" });
    expect(plan.problems).toEqual([
      { kind: "shape", name: "llm.embed.weight", from: [10, 4], to: [10, 6] },
      {
        kind: "shape",
        name: "llm.layers.0.moe.experts.1.mlp.up.weight",
        from: [4, 8],
        to: [4, 16],
      },
      { kind: "missing", name: "llm.new", shape: [3] },
      { kind: "unexpected", name: "llm.extra", shape: [2] },
    ]);
  });
});
