// The fused clip-and-AdamW kernels (ops/fused-adamw.ts) against AdamW's op-by-op path on the same
// state: one update at a time (clipping on and off, decay, a non-finite norm), and 20 training
// steps of the tiny example's decoder, on wasm and cpu. Also: no buffers outlive a step.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { MultimodalModel } from "../../src/runtime/model.js";
import { ADAMW_KERNEL, hasFusedOptimizer } from "../../src/runtime/ops/fused-adamw.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { generatedCode } from "./generated-code.js";
import { patternBatch, tinyDecoder, tinyModel, useBackend } from "./helpers.js";
import { relDiff } from "./tensor-checks.js";

/** The global norm of `grads` summed in double precision in JS: the reference for both paths. */
function norm64(grads: ReadonlyMap<string, tf.Tensor>): number {
  let sum = 0;
  for (const g of grads.values()) for (const x of g.dataSync()) sum += x * x;
  return Math.sqrt(sum);
}

/** The largest relative difference between the two optimizers' weights and moments. */
function stateDiff(a: AdamW, b: AdamW): number {
  let worst = 0;
  for (const [name, p] of a.params.entries()) {
    worst = Math.max(worst, relDiff(p, b.params.get(name)));
    worst = Math.max(worst, relDiff(a.m.get(name) as tf.Tensor, b.m.get(name) as tf.Tensor));
    worst = Math.max(worst, relDiff(a.v.get(name) as tf.Tensor, b.v.get(name) as tf.Tensor));
  }
  return worst;
}

/** Random moments (v >= 0) and gradients of scale `gScale`, the same for both optimizers. */
function randomState(a: AdamW, b: AdamW, seed: number, gScale: number): Map<string, tf.Tensor> {
  const grads = new Map<string, tf.Tensor>();
  let s = seed;
  for (const [name, p] of a.params.entries()) {
    const m = tf.randomNormal(p.shape, 0, 1e-2, "float32", s++);
    const v = tf.square(tf.randomNormal(p.shape, 0, 1e-2, "float32", s++));
    for (const o of [a, b]) {
      (o.m.get(name) as tf.Variable).assign(m);
      (o.v.get(name) as tf.Variable).assign(v);
    }
    tf.dispose([m, v]);
    grads.set(name, tf.randomNormal(p.shape, 0, gScale, "float32", s++));
  }
  return grads;
}

// The tiny example's TinyLM (examples/tiny.mm) at a small batch.
const TINY_LM = {
  vocab: 260,
  width: 128,
  depth: 2,
  heads: 2,
  context: 32,
  mlp: { fn: "swiglu", hidden: 344 },
  norm: "rms",
  position: "rope",
};

const tinyLm = (): MultimodalModel =>
  MultimodalModel.fromInput({ llm: { kind: "Decoder", config: TINY_LM } }, 11);
// The forward passes as the compiler generates them (the runtime has none of its own).
const tinyCode = await generatedCode({ llm: { kind: "Decoder", config: TINY_LM } });
const helperCode = await generatedCode({ llm: { kind: "Decoder", config: tinyDecoder() } });
const TRAIN_CONFIG = { lr: 3e-3, clip: 1, weightDecay: 0.1 };

/** Copies `from`'s weights and moments into `to`. */
function copyState(from: AdamW, to: AdamW): void {
  for (const [name, p] of from.params.entries()) {
    to.params.get(name).assign(p);
    (to.m.get(name) as tf.Variable).assign(from.m.get(name) as tf.Tensor);
    (to.v.get(name) as tf.Variable).assign(from.v.get(name) as tf.Tensor);
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused AdamW on ${backend}`, () => {
    it("is registered for the backend and on by default", async () => {
      await useBackend(backend);
      expect(hasFusedOptimizer()).toBe(true);
      const model = tinyModel();
      const opt = new AdamW(model.params, { lr: 1e-3 });
      expect(opt.fused).toBe(true);
      opt.dispose();
      model.dispose();
    });

    it("computes the op-by-op global norm", async () => {
      await useBackend(backend);
      const grads = new Map<string, tf.Tensor>([
        ["a", tf.randomNormal([33, 7], 0, 1, "float32", 1)],
        ["b", tf.randomNormal([5], 0, 3, "float32", 2)],
        ["c", tf.randomNormal([2, 3, 4], 0, 0.1, "float32", 3)],
      ]);
      const fused = AdamW.globalNorm(grads, true);
      const plain = AdamW.globalNorm(grads, false);
      const reference = norm64(grads);
      expect(Math.abs((fused.dataSync()[0] as number) - reference) / reference).toBeLessThan(1e-6);
      expect(Math.abs((plain.dataSync()[0] as number) - reference) / reference).toBeLessThan(1e-5);
      expect(reference).toBeGreaterThan(1);
      tf.dispose([fused, plain, ...grads.values()]);
    });

    const cases = [
      { what: "clipping active, weight decay", gScale: 1, clip: 1, weightDecay: 0.1 },
      { what: "clipping inactive", gScale: 1e-3, clip: 1, weightDecay: 0.1 },
      { what: "no clipping, no decay", gScale: 1, clip: 0, weightDecay: 0 },
    ];
    for (const c of cases) {
      it(`matches the op-by-op update over 3 steps (${c.what})`, async () => {
        await useBackend(backend);
        const [ma, mb] = [tinyModel({}, 3), tinyModel({}, 3)] as [MultimodalModel, MultimodalModel];
        const config = {
          lr: 1e-2,
          betas: [0.9, 0.95] as const,
          clip: c.clip,
          weightDecay: c.weightDecay,
        };
        const fused = new AdamW(ma.params, config);
        const plain = new AdamW(mb.params, config);
        plain.fused = false;
        const name = ma.params.specs[0]?.name as string;
        const start = tf.clone(ma.params.get(name));
        for (let step = 0; step < 3; step++) {
          const grads = randomState(fused, plain, 100 * step + 1, c.gScale);
          const norm = AdamW.globalNorm(grads, false);
          const n = norm.dataSync()[0] as number;
          expect(n > c.clip).toBe(c.gScale === 1);
          fused.apply(grads, 1e-2, AdamW.globalNorm(grads, true));
          plain.apply(grads, 1e-2, n);
          expect(stateDiff(fused, plain)).toBeLessThan(1e-6);
          // The step moved the weights (a comparison of two unmoved states proves nothing).
          expect(relDiff(ma.params.get(name), start)).toBeGreaterThan(1e-4);
          tf.dispose([norm, ...grads.values()]);
        }
        expect(fused.step).toBe(3);
        start.dispose();
        fused.dispose();
        plain.dispose();
        ma.dispose();
        mb.dispose();
      });
    }

    it("leaves weights and moments unchanged when the norm is not finite", async () => {
      await useBackend(backend);
      const model = tinyModel();
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 1, weightDecay: 0.1 });
      const before = model.params.entries().map(([, p]) => tf.clone(p));
      const grads = new Map(model.params.entries().map(([n, p]) => [n, tf.fill(p.shape, NaN)]));
      opt.apply(grads, 1e-2, AdamW.globalNorm(grads, true));
      model.params
        .entries()
        .forEach(([, p], i) => expect(relDiff(p, before[i] as tf.Tensor)).toBe(0));
      for (const m of opt.m.values()) expect(tf.max(tf.abs(m)).dataSync()[0]).toBe(0);
      tf.dispose([...before, ...grads.values()]);
      opt.dispose();
      model.dispose();
    });

    it("updates tensors in chunks without a difference", async () => {
      await useBackend(backend);
      const [ma, mb] = [tinyModel({}, 5), tinyModel({}, 5)] as [MultimodalModel, MultimodalModel];
      const fused = new AdamW(ma.params, { lr: 1e-2, clip: 1 });
      const plain = new AdamW(mb.params, { lr: 1e-2, clip: 1 });
      plain.fused = false;
      // Small chunks: several tensors per chunk, and tensors larger than a chunk alone.
      fused.chunkElements = 3000;
      const grads = randomState(fused, plain, 7, 1);
      const n = AdamW.globalNorm(grads, false);
      const engine = tf.engine();
      const runKernel = engine.runKernel.bind(engine);
      let dispatches = 0;
      engine.runKernel = (name, inputs, attrs) => {
        if (name === ADAMW_KERNEL) dispatches++;
        return runKernel(name, inputs, attrs);
      };
      try {
        fused.apply(grads, 1e-2, AdamW.globalNorm(grads, true));
      } finally {
        engine.runKernel = runKernel;
      }
      const total = ma.params.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
      expect(dispatches).toBeGreaterThan(total / 3000 - 1);
      expect(dispatches).toBeLessThan(ma.params.specs.length);
      plain.apply(grads, 1e-2, n.dataSync()[0] as number);
      expect(stateDiff(fused, plain)).toBeLessThan(1e-6);
      tf.dispose([n, ...grads.values()]);
      fused.dispose();
      plain.dispose();
      ma.dispose();
      mb.dispose();
    });

    it("updates the tiny example's decoder like the op-by-op path, step by step", async () => {
      await useBackend(backend);
      const [ma, mb] = [tinyLm(), tinyLm()];
      const fused = new AdamW(ma.params, TRAIN_CONFIG);
      const plain = new AdamW(mb.params, TRAIN_CONFIG);
      plain.fused = false;
      const batch = patternBatch(2, 32, 260);
      const vars = ma.params.entries().map(([, v]) => v);
      const names = new Map(ma.params.entries().map(([n, v]) => [v.name, n]));
      let worstState = 0;
      let worstNorm = 0;
      // 8 steps: the state is compared after each (the 20-step loss check below covers the run)
      for (let step = 0; step < 8; step++) {
        // One set of gradients for both (the states are equal before each step), and one norm:
        // what is compared is the update itself.
        const { value, grads } = tf.variableGrads(() => tinyCode.loss(ma, batch).total, vars);
        const byName = new Map(Object.entries(grads).map(([k, g]) => [names.get(k) as string, g]));
        const normT = AdamW.globalNorm(byName, true);
        const norm = normT.dataSync()[0] as number;
        worstNorm = Math.max(worstNorm, Math.abs(norm - norm64(byName)) / norm);
        fused.apply(byName, 3e-3, normT);
        plain.apply(byName, 3e-3, norm);
        worstState = Math.max(worstState, stateDiff(fused, plain));
        copyState(fused, plain);
        tf.dispose([value, normT, ...byName.values()]);
      }
      expect(worstNorm).toBeLessThan(1e-6);
      expect(worstState).toBeLessThan(1e-6);
      expect(fused.step).toBe(8);
      fused.dispose();
      plain.dispose();
      ma.dispose();
      mb.dispose();
    }, 300_000);

    it("gives the op-by-op path's losses over 20 steps of the tiny example's decoder", async () => {
      await useBackend(backend);
      const [ma, mb] = [tinyLm(), tinyLm()];
      const fused = new AdamW(ma.params, TRAIN_CONFIG);
      const plain = new AdamW(mb.params, TRAIN_CONFIG);
      plain.fused = false;
      const batch = patternBatch(2, 32, 260);
      let worstLoss = 0;
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        const a = await trainStep(ma, fused, batch, 3e-3, { loss: tinyCode.loss });
        const b = await trainStep(mb, plain, batch, 3e-3, { loss: tinyCode.loss });
        worstLoss = Math.max(worstLoss, Math.abs(a.loss - b.loss) / Math.abs(b.loss));
        losses.push(b.loss);
      }
      expect(worstLoss).toBeLessThan(1e-5);
      // It trained: the loss fell.
      expect(losses[19] as number).toBeLessThan((losses[0] as number) * 0.9);
      fused.dispose();
      plain.dispose();
      ma.dispose();
      mb.dispose();
    }, 300_000);

    for (const fusedPath of [true, false]) {
      it(`skips a step whose loss is not finite though its gradients are (${fusedPath ? "fused" : "op-by-op"})`, async () => {
        await useBackend(backend);
        const model = tinyModel();
        const opt = new AdamW(model.params, { lr: 1e-2, clip: 1, weightDecay: 0.1 });
        opt.fused = fusedPath;
        const batch = patternBatch(4);
        // A healthy step first, so the moments are not zero and a change to them would show.
        await trainStep(model, opt, batch, 1e-2, { loss: helperCode.loss });
        const stepBefore = opt.step;
        const snapshot = (): tf.Tensor[] =>
          model.params
            .entries()
            .flatMap(([n, p]) => [tf.clone(p), tf.clone(opt.m.get(n)!), tf.clone(opt.v.get(n)!)]);
        const before = snapshot();
        // Two passes; the second's loss is +Inf, a constant added, so every gradient stays
        // finite (and so does their norm): only the loss can stop the update.
        let pass = 0;
        const outcome = await trainStep(model, opt, batch, 1e-2, {
          microBatch: 2,
          loss: (m, b) => {
            const parts = helperCode.loss(m, b);
            if (pass++ === 0) return parts;
            return { ...parts, crossEntropy: tf.add(parts.crossEntropy, Infinity) as tf.Scalar };
          },
        });
        expect(Number.isFinite(outcome.loss)).toBe(false);
        expect(Number.isFinite(outcome.gradNorm)).toBe(true);
        expect(opt.step).toBe(stepBefore);
        const after = snapshot();
        after.forEach((t, i) => expect(relDiff(t, before[i] as tf.Tensor)).toBe(0));
        // The same step with finite losses does move the weights.
        await trainStep(model, opt, batch, 1e-2, { microBatch: 2, loss: helperCode.loss });
        expect(relDiff(model.params.entries()[0]![1], before[0] as tf.Tensor)).toBeGreaterThan(0);
        expect(opt.step).toBe(stepBefore + 1);
        tf.dispose([...before, ...after]);
        opt.dispose();
        model.dispose();
      });
    }

    it("reads from the backend once a step, after the update, whatever the passes", async () => {
      await useBackend(backend);
      const model = tinyModel();
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 1 });
      const engine = tf.engine();
      const read = engine.read.bind(engine);
      const readSync = engine.readSync.bind(engine);
      let reads = 0;
      engine.read = (dataId) => (reads++, read(dataId));
      engine.readSync = (dataId) => (reads++, readSync(dataId));
      const counts: number[] = [];
      try {
        for (const fusedPath of [true, false]) {
          opt.fused = fusedPath;
          for (const microBatch of [4, 2, 1]) {
            reads = 0;
            await trainStep(model, opt, patternBatch(4), 1e-2, {
              microBatch,
              loss: helperCode.loss,
            });
            counts.push(reads);
          }
        }
      } finally {
        engine.read = read;
        engine.readSync = readSync;
      }
      // 1, 2 and 4 passes on each path: one read each (the norm, the losses and any MoE load).
      expect(counts).toEqual([1, 1, 1, 1, 1, 1]);
      opt.dispose();
      model.dispose();
    });

    it("holds one data buffer per variable before and after steps", async () => {
      await useBackend(backend);
      const start = tf.memory();
      const model = tinyModel();
      const opt = new AdamW(model.params, { lr: 1e-2, clip: 1 });
      const variables = 3 * model.params.specs.length;
      const made = tf.memory();
      expect(made.numTensors - start.numTensors).toBe(variables);
      expect(made.numDataBuffers - start.numDataBuffers).toBe(variables);
      for (const fusedPath of [true, false]) {
        opt.fused = fusedPath;
        await trainStep(model, opt, patternBatch(), 1e-2, { loss: helperCode.loss });
        const after = tf.memory();
        expect(after.numTensors - start.numTensors).toBe(variables);
        expect(after.numDataBuffers - start.numDataBuffers).toBe(variables);
      }
      opt.dispose();
      model.dispose();
      const end = tf.memory();
      expect(end.numTensors).toBe(start.numTensors);
      expect(end.numDataBuffers).toBe(start.numDataBuffers);
    });
  });
}
