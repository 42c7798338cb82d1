// The page test/runtime/webgpu-browser.test.ts runs in chromium (bundled with esbuild): the MoE
// routing cases of moe-cases.ts, the host routing on cpu against the device routing on webgpu,
// in one page. `window.__mmcRun` resolves to what each case found.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import {
  caseShape,
  deviceDispatch,
  hostDispatch,
  layerCase,
  largestDifference,
  randomProbs,
  layerParams,
  stream,
} from "./moe-cases.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { Params } from "../../src/runtime/params.js";
import { setRawDispatch } from "../../src/runtime/ops/webgpu-raw.js";
import { rmsNormOps } from "../../src/runtime/layers/norm.js";
import { fusedRmsNorm, hasFusedRmsNorm } from "../../src/runtime/ops/fused-norm.js";
import { swiglu, swigluOps } from "../../src/runtime/layers/mlp.js";
import { applyRope, applyRopeOps, ropeTables } from "../../src/runtime/layers/positions.js";
import { hasFusedSwiGlu, hasFusedRope } from "../../src/runtime/ops/fused-elementwise.js";
import { hasFusedCrossEntropy } from "../../src/runtime/ops/fused-loss.js";
import { crossEntropy, crossEntropyOps } from "../../src/runtime/train/loss.js";
import { causalMask } from "../../src/runtime/layers/attention.js";
import { fusedMaskedSoftmax, hasFusedMaskedSoftmax } from "../../src/runtime/ops/fused-softmax.js";
import { setFusedOps } from "../../src/runtime/ops/fused-switch.js";
import { fusedAttention, hasFusedAttention } from "../../src/runtime/ops/fused-attention.js";
import { ropeTablePacked } from "../../src/runtime/layers/positions.js";
import { reference } from "./attention-reference.js";
import { layerNorm, layerNormOps } from "../../src/runtime/layers/norm.js";
import {
  gelu,
  geluExact,
  geluExactOps,
  geluOps,
  quickGelu,
  quickGeluOps,
} from "../../src/runtime/layers/mlp.js";
import { hasFusedLayerNorm } from "../../src/runtime/ops/fused-layernorm.js";
import { hasFusedGelu } from "../../src/runtime/ops/fused-gelu.js";

// WebGPU compute dispatches, counted around each norm's forward and backward.
let dispatches = 0;
const pass = (
  globalThis as unknown as { GPUComputePassEncoder?: { prototype: Record<string, unknown> } }
).GPUComputePassEncoder?.prototype;
if (pass !== undefined) {
  const original = pass["dispatchWorkgroups"] as (...a: unknown[]) => unknown;
  pass["dispatchWorkgroups"] = function (this: unknown, ...a: unknown[]) {
    dispatches++;
    return original.apply(this, a);
  };
}

/** RMSNorm of a [shape] input on webgpu, fused and op by op: y, dx, dweight and dispatches. */
async function normCase(shape: number[], seed: number) {
  const r = stream(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const d = shape.at(-1)!;
  const x = tf.tensor(
    Float32Array.from({ length: size }, () => 4 * r() - 2),
    shape,
  );
  const w = tf.tensor1d(Float32Array.from({ length: d }, () => 1 + r() - 0.5));
  const dy = tf.tensor(
    Float32Array.from({ length: size }, () => r() - 0.5),
    shape,
  );
  const one = async (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => {
    await tf.ready();
    const start = dispatches;
    const y = f(x, w);
    const forward = dispatches - start;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b));
    const before = dispatches;
    const [dx, dw] = g([x, w], dy);
    const total = dispatches - before; // the forward again and the backward
    const out = {
      y: Array.from(await y.data()),
      dx: Array.from(await dx!.data()),
      dw: Array.from(await dw!.data()),
      forward,
      backward: total - forward,
    };
    tf.dispose([y, dx!, dw!]);
    return out;
  };
  const fused = await one((a, b) => fusedRmsNorm(a, b, 1e-5));
  // The kernels' program path, where raw dispatches are not allowed.
  setRawDispatch(false);
  const programs = await one((a, b) => fusedRmsNorm(a, b, 1e-5));
  setRawDispatch(true);
  const ops = await one((a, b) => rmsNormOps(a, b, 1e-5));
  const hasFused = hasFusedRmsNorm(x, w);
  tf.dispose([x, w, dy]);
  let worst = 0;
  let worstPrograms = 0;
  for (const k of ["y", "dx", "dw"] as const) {
    fused[k].forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ops[k][i]!))));
    programs[k].forEach(
      (v, i) => (worstPrograms = Math.max(worstPrograms, Math.abs(v - ops[k][i]!))),
    );
  }
  return {
    shape,
    hasFused,
    worst,
    worstPrograms,
    fused: { forward: fused.forward, backward: fused.backward },
    programs: { forward: programs.forward, backward: programs.backward },
    ops: { forward: ops.forward, backward: ops.backward },
  };
}

/**
 * A fused layer op (SwiGLU, rotary, masked cross-entropy) against its op-by-op form on webgpu:
 * the largest difference of the value and the inputs' gradients under a random cotangent, and
 * each form's dispatches for the forward and the backward.
 */
async function fusedCase(
  op: string,
  inputs: tf.Tensor[],
  fused: (...a: tf.Tensor[]) => tf.Tensor,
  ops: (...a: tf.Tensor[]) => tf.Tensor,
  hasFused: boolean,
) {
  const shape = ops(...inputs).shape;
  const r = stream(97);
  const size = shape.reduce((a, b) => a * b, 1);
  const dy = tf.tensor(
    Float32Array.from({ length: size }, () => r() - 0.5),
    shape,
  );
  const one = async (f: (...a: tf.Tensor[]) => tf.Tensor) => {
    const start = dispatches;
    const y = f(...inputs);
    const forward = dispatches - start;
    const before = dispatches;
    const gs = tf.grads((...a: tf.Tensor[]) => f(...a))(inputs, dy);
    const total = dispatches - before;
    const values = [Array.from(await y.data())];
    for (const g of gs) values.push(Array.from(await g.data()));
    tf.dispose([y, ...gs]);
    return { values, forward, backward: total - forward };
  };
  const a = await one(fused);
  const b = await one(ops);
  tf.dispose(dy);
  let worst = 0;
  let scale = 0;
  a.values.forEach((v, i) =>
    v.forEach((x, j) => {
      const y = b.values[i]![j]!;
      worst = Math.max(worst, Math.abs(x - y));
      scale = Math.max(scale, Math.abs(y));
    }),
  );
  return {
    op,
    hasFused,
    worst: worst / Math.max(scale, 1e-30),
    scale,
    fused: { forward: a.forward, backward: a.backward },
    ops: { forward: b.forward, backward: b.backward },
  };
}

async function fusedCases() {
  const r = stream(5);
  const rand = (shape: number[], spread: number) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => spread * (r() - 0.5)),
      shape,
    );
  const out = [];
  for (const shape of [
    [6, 40],
    [3, 5, 7],
    [200, 344],
  ]) {
    const g = rand(shape, 6);
    const u = rand(shape, 4);
    out.push(await fusedCase(`swiglu [${shape}]`, [g, u], swiglu, swigluOps, hasFusedSwiGlu(g, u)));
    tf.dispose([g, u]);
  }
  for (const shape of [
    [2, 3, 5, 8],
    [7, 16],
    [1, 2, 128, 64],
  ]) {
    const [cos, sin] = ropeTables(shape.at(-2)!, shape.at(-1)!, 100);
    const x = rand(shape, 4);
    out.push(
      await fusedCase(
        `rope [${shape}]`,
        [x],
        (a) => applyRope(a!, cos, sin),
        (a) => applyRopeOps(a!, cos, sin),
        hasFusedRope(x, cos, sin),
      ),
    );
    tf.dispose([x, cos, sin]);
  }
  for (const [n, vocab] of [
    [24, 37],
    [256, 260],
  ] as const) {
    const logits = rand([n, vocab], 8);
    const targets = tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => (i * 11 + 3) % vocab),
      "int32",
    );
    const mask = tf.tensor1d(
      Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 || i === n - 1 ? 0 : 1)),
    );
    out.push(
      await fusedCase(
        `cross-entropy [${n}, ${vocab}]`,
        [logits],
        (l) => crossEntropy(l as tf.Tensor2D, targets, mask),
        (l) => crossEntropyOps(l as tf.Tensor2D, targets, mask),
        hasFusedCrossEntropy(logits, targets, mask),
      ),
    );
    tf.dispose([logits, targets, mask]);
  }
  // Off by default on webgpu (not timed there yet, ops/fused-switch.ts): forced on to check it.
  setFusedOps({ maskedSoftmax: true });
  for (const [bh, t, s, causal] of [
    [3, 7, 7, true],
    [2, 5, 11, true],
    [4, 13, 13, false],
    [4, 128, 128, true],
  ] as const) {
    const x = rand([bh, t, s], 12);
    const scale = 1 / Math.sqrt(5);
    out.push(
      await fusedCase(
        `masked softmax [${bh}, ${t}, ${s}]${causal ? " causal" : ""}`,
        [x],
        (a) => fusedMaskedSoftmax(a!, scale, causal),
        (a) => {
          let z: tf.Tensor = tf.mul(a!, scale);
          if (causal) z = tf.add(z, causalMask(t, s));
          return tf.softmax(z);
        },
        hasFusedMaskedSoftmax(x),
      ),
    );
    tf.dispose(x);
  }
  setFusedOps({ maskedSoftmax: undefined });
  return out;
}

/** The fused attention core against attention op by op, on webgpu. */
async function attentionCases() {
  const r = stream(11);
  const rand = (shape: number[]) =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => 2 * (r() - 0.5)),
      shape,
    );
  setFusedOps({ attention: true });
  const out = [];
  for (const [b, t, s, heads, kvHeads, hd, causal, rope] of [
    [2, 7, 7, 2, 2, 8, true, true],
    [1, 9, 9, 4, 2, 6, true, true],
    [2, 5, 5, 3, 1, 4, true, false],
    [1, 4, 11, 2, 2, 5, false, false],
    [8, 128, 128, 2, 2, 64, true, true], // the tiny example's layer
  ] as const) {
    const [q, k, v] = [
      [b, t, heads, hd],
      [b, s, kvHeads, hd],
      [b, s, kvHeads, hd],
    ].map(rand) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const tables = rope ? ropeTables(t, hd, 10000) : undefined;
    const packed = rope ? ropeTablePacked(t, hd, 10000) : undefined;
    out.push(
      await fusedCase(
        `attention b ${b} t ${t} s ${s} heads ${heads}/${kvHeads} hd ${hd}${causal ? " causal" : ""}${rope ? " rope" : ""}`,
        [q, k, v],
        (x, y, z) => fusedAttention(x!, y!, z!, packed, 1 / Math.sqrt(hd), causal),
        (x, y, z) => reference(x!, y!, z!, tables, causal),
        hasFusedAttention(q, k, rope),
      ),
    );
    tf.dispose([q, k, v, ...(tables ?? []), ...(packed === undefined ? [] : [packed])]);
  }
  setFusedOps({ attention: undefined });
  return out;
}

/** LayerNorm and GELU (its three forms), fused (their webgpu default) against op by op. */
async function layerNormGeluCases() {
  const r = stream(13);
  const rand = (shape: number[], spread: number, shift = 0) =>
    tf.tensor(
      Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => shift + spread * (r() - 0.5),
      ),
      shape,
    );
  const out = [];
  for (const shape of [
    [6, 40],
    [3, 5, 7],
    [64, 512],
  ]) {
    const d = shape.at(-1)!;
    const [x, w, b] = [rand(shape, 6, 2), rand([d], 0.6, 1), rand([d], 1)] as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    out.push(
      await fusedCase(
        `layer norm [${shape}]`,
        [x, w, b],
        (a, c, e) => layerNorm(a!, c!, e!, 1e-5),
        (a, c, e) => layerNormOps(a!, c!, e!, 1e-5),
        hasFusedLayerNorm(x, w, b),
      ),
    );
    tf.dispose([x, w, b]);
  }
  for (const shape of [
    [6, 40],
    [64, 2048],
  ]) {
    const x = rand(shape, 12);
    out.push(
      await fusedCase(
        `gelu [${shape}]`,
        [x],
        (a) => gelu(a!),
        (a) => geluOps(a!),
        hasFusedGelu(x),
      ),
    );
    x.dispose();
  }
  for (const [form, fused, ops] of [
    ["exact", geluExact, geluExactOps],
    ["quick", quickGelu, quickGeluOps],
  ] as const)
    for (const shape of [
      [6, 40],
      [64, 2048],
    ]) {
      const x = rand(shape, 12);
      out.push(
        await fusedCase(
          `gelu ${form} [${shape}]`,
          [x],
          (a) => fused(a!),
          (a) => ops(a!),
          hasFusedGelu(x, form),
        ),
      );
      x.dispose();
    }
  return out;
}

async function use(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

/**
 * Three AdamW steps on webgpu from the same weights and gradients, fused (WGSL) and op by op:
 * the largest difference of weights and moments, and the dispatches of each path's norm and
 * update. `scale` sets the gradients' size (clipping at 1 engages above it); NaN in the last
 * step's gradients must leave the fused path's tensors unchanged.
 */
async function adamCase(seed: number, scale: number) {
  const shape = caseShape(seed);
  const make = () => layerParams({ ...shape, shared: 1 }, seed).params;
  const runs = [];
  // The fused update in one raw dispatch per tensor, in three programs, and op by op.
  for (const variant of ["one", "three", "ops"] as const) {
    const fused = variant !== "ops";
    setRawDispatch(variant === "one");
    const params = make();
    const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0.1, clip: 1 });
    opt.fused = fused;
    let count = 0;
    const rr = stream(seed * 13 + 3);
    for (let step = 0; step < 3; step++) {
      const grads = new Map<string, tf.Tensor>();
      for (const spec of params.specs)
        grads.set(
          spec.name,
          tf.tensor(
            Float32Array.from(
              { length: spec.shape.reduce((a, b) => a * b, 1) },
              () => scale * (rr() - 0.5),
            ),
            [...spec.shape],
          ),
        );
      const start = dispatches;
      const norm = AdamW.globalNorm(grads, fused);
      if (fused) opt.apply(grads, 1e-2, norm);
      else opt.apply(grads, 1e-2, (await norm.data())[0]!);
      count += dispatches - start;
      tf.dispose([norm, ...grads.values()]);
    }
    const values: number[] = [];
    for (const [name, v] of params.entries()) {
      values.push(
        ...(await v.data()),
        ...(await opt.m.get(name)!.data()),
        ...(await opt.v.get(name)!.data()),
      );
    }
    // A gradient with a NaN: the fused update must change nothing.
    let unchanged = true;
    if (fused) {
      const before = values.slice();
      const grads = new Map<string, tf.Tensor>();
      for (const spec of params.specs)
        grads.set(
          spec.name,
          tf.fill([...spec.shape], spec.name.endsWith("router.weight") ? NaN : 0.1),
        );
      const norm = AdamW.globalNorm(grads, true);
      opt.apply(grads, 1e-2, norm);
      unchanged = Number.isNaN((await norm.data())[0]!);
      const after: number[] = [];
      for (const [name, v] of params.entries())
        after.push(
          ...(await v.data()),
          ...(await opt.m.get(name)!.data()),
          ...(await opt.v.get(name)!.data()),
        );
      unchanged &&= after.every((x, i) => x === before[i]);
      tf.dispose([norm, ...grads.values()]);
    }
    runs.push({ values, dispatchesPerStep: count / 3, tensors: params.specs.length, unchanged });
    opt.dispose();
    params.dispose();
  }
  setRawDispatch(true);
  const [f, t, o] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
  let worst = 0;
  let worstThree = 0;
  f.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - o.values[i]!))));
  t.values.forEach((v, i) => (worstThree = Math.max(worstThree, Math.abs(v - o.values[i]!))));
  return {
    seed,
    scale,
    tensors: f.tensors,
    worst,
    worstThree,
    sameLength: f.values.length === o.values.length && t.values.length === o.values.length,
    fusedDispatches: f.dispatchesPerStep,
    threeDispatches: t.dispatchesPerStep,
    opsDispatches: o.dispatchesPerStep,
    nanUnchanged: f.unchanged && t.unchanged,
  };
}

/**
 * One AdamW update of a tensor larger than 65,535 workgroups of 64 (the raw dispatch spills
 * into y there), raw against the three programs: the largest difference and how many elements
 * the update moved.
 */
async function bigAdamCase() {
  const n = 65535 * 64 + 4099;
  const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
  const grads = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7) * 0.01);
  const out: Float32Array[] = [];
  for (const raw of [true, false]) {
    setRawDispatch(raw);
    const params = Params.create([{ name: "big", shape: [n], init: "zeros", decay: true }], 1);
    const p = params.get("big");
    p.assign(tf.tensor1d(values));
    const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0.1, clip: 0 });
    const g = new Map([["big", tf.tensor1d(grads) as tf.Tensor]]);
    const norm = AdamW.globalNorm(g, true);
    opt.apply(g, 1e-2, norm);
    out.push((await p.data()) as Float32Array);
    tf.dispose([norm, ...g.values()]);
    opt.dispose();
    params.dispose();
  }
  setRawDispatch(true);
  const [a, b] = out as [Float32Array, Float32Array];
  let worst = 0;
  let moved = 0;
  for (let i = 0; i < n; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    if (a[i] !== values[i]) moved++;
  }
  return { elements: n, worst, moved };
}

/**
 * Products tfjs would run through its split-K program with transposeB (ops/webgpu-matmul.ts),
 * on webgpu behind the guard against cpu; and what the split-K program itself gives.
 */
async function matmulCases() {
  const out = [];
  for (const [a, b, ta] of [
    [[8, 2048], [512, 2048], false],
    [[2048, 8], [512, 2048], true],
    [[8, 4096], [512, 4096], false],
    [[1, 2000], [100, 2000], false],
  ] as const) {
    const r = stream(a[0] + b[0]);
    const x = Float32Array.from({ length: a[0] * a[1] }, () => r() - 0.5);
    const y = Float32Array.from({ length: b[0] * b[1] }, () => r() - 0.5);
    const results: Float32Array[] = [];
    for (const [backend, type] of [
      ["cpu", -1],
      ["webgpu", -1],
      ["webgpu", 1],
    ] as const) {
      await use(backend);
      if (backend === "webgpu") tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", type);
      const [X, Y] = [tf.tensor(x, [...a]), tf.tensor(y, [...b])];
      const z = tf.matMul(X, Y, ta, true);
      results.push((await z.data()) as Float32Array);
      tf.dispose([X, Y, z]);
      if (backend === "webgpu") tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", -1);
    }
    const [c, g, k] = results as [Float32Array, Float32Array, Float32Array];
    let scale = 0;
    let guarded = 0;
    let splitK = 0;
    c.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      guarded = Math.max(guarded, Math.abs(v - g[i]!));
      splitK = Math.max(splitK, Math.abs(v - k[i]!));
    });
    out.push({
      shape: `${a} x ${b}^T${ta ? " (a^T)" : ""}`,
      guarded: guarded / scale,
      splitK: splitK / scale,
    });
  }
  await use("webgpu");
  return out;
}

interface Args {
  readonly routingSeeds: number[];
  readonly layerSeeds: number[];
  readonly normShapes: number[][];
}

async function run({ routingSeeds, layerSeeds, normShapes }: Args) {
  await use("webgpu");
  const norms = [];
  for (const [i, shape] of normShapes.entries()) norms.push(await normCase(shape, i + 1));
  const fused = await fusedCases();
  const attention = await attentionCases();
  const bigAdam = await bigAdamCase();
  const matmul = await matmulCases();
  const layerNormGelu = await layerNormGeluCases();
  const adam = [];
  for (const [seed, scale] of [
    [1, 0.01],
    [2, 1],
    [3, 5],
  ] as const)
    adam.push(await adamCase(seed, scale));
  const routing = [];
  for (const seed of routingSeeds) {
    const s = caseShape(seed);
    const probs = randomProbs(seed, s);
    await use("cpu");
    const host = hostDispatch(probs, s);
    await use("webgpu");
    const dev = await deviceDispatch(probs, s);
    routing.push({ seed, shape: s, host, dev });
  }
  const layers = [];
  for (const seed of layerSeeds) {
    await use("cpu");
    const host = await layerCase(seed, "host");
    await use("webgpu");
    const dev = await layerCase(seed, "device");
    layers.push({
      seed,
      difference: largestDifference(host, dev),
      hostDropped: host.dropped,
      devDropped: dev.dropped,
    });
  }
  return {
    backend: tf.getBackend(),
    routing,
    layers,
    norms,
    adam,
    fused,
    attention,
    layerNormGelu,
    bigAdam,
    matmul,
  };
}

(globalThis as unknown as { __mmcRun: typeof run }).__mmcRun = run;
