// Cases shared by the MoE routing tests in Node (cpu, wasm) and in chromium (webgpu, bundled by
// test/runtime/webgpu-browser.test.ts): random router logits, top-1 and top-2, capacities that
// drop assignments, with and without a shared expert. `layerCase` runs one MoE layer, its
// outputs and the gradients of a scalar of them with respect to every weight, reading every
// value asynchronously (WebGPU cannot read synchronously), on the backend in use.
import * as tf from "@tensorflow/tfjs-core";
import { moeConfig, moe as moeKind, type MoeConfig } from "../../src/components/moe.js";
import { moe, route, routeOnDevice, setMoeRouting } from "../../src/runtime/layers/moe.js";
import { uniformStream } from "../../src/runtime/init.js";
import { Params } from "../../src/runtime/params.js";

/** A seeded stream of floats in [0, 1) (the runtime's mulberry32), the same on every platform. */
export const stream = uniformStream;

export interface CaseShape {
  readonly n: number;
  readonly experts: number;
  readonly topK: number;
  readonly capacity: number;
  readonly shared: number;
  readonly width: number;
}

/** The case a seed names: 3-13 tokens, 2-5 experts, top-1 or top-2, capacity 0.25-1.5. */
export function caseShape(seed: number): CaseShape {
  const r = stream(seed * 7919 + 1);
  const experts = 2 + Math.floor(r() * 4);
  return {
    n: 3 + Math.floor(r() * 11),
    experts,
    topK: r() < 0.5 ? 1 : 2,
    capacity: [0.25, 0.5, 0.75, 1, 1.5][Math.floor(r() * 5)] as number,
    shared: r() < 0.3 ? 1 : 0,
    width: 3,
  };
}

/** Router probabilities [n, experts], rows of softmax(3 * N(0, 1)-ish logits). */
export function randomProbs(seed: number, s: CaseShape): Float32Array {
  const r = stream(seed);
  const out = new Float32Array(s.n * s.experts);
  for (let i = 0; i < s.n; i++) {
    let z = 0;
    for (let j = 0; j < s.experts; j++) {
      const v = Math.exp(6 * (r() - 0.5));
      out[i * s.experts + j] = v;
      z += v;
    }
    for (let j = 0; j < s.experts; j++) out[i * s.experts + j]! /= z;
  }
  return out;
}

/** The host routing of `probs` as dispatch [n, experts * capacity], wanted and kept shares. */
export function hostDispatch(probs: Float32Array, s: CaseShape) {
  const r = route(probs, s.n, s);
  const cap = Math.ceil((s.capacity * s.n * s.topK) / s.experts);
  const dispatch = new Float32Array(s.n * s.experts * cap);
  r.tokens.forEach((list, j) =>
    list.forEach((t, c) => (dispatch[t * s.experts * cap + j * cap + c] = 1)),
  );
  const total = s.n * s.topK;
  return {
    capacity: cap,
    dispatch: Array.from(dispatch),
    wanted: r.wanted.map((w) => w / total),
    kept: r.tokens.map((l) => l.length / total),
  };
}

/** routeOnDevice of `probs` on the backend in use, read back. */
export async function deviceDispatch(probs: Float32Array, s: CaseShape) {
  const p = tf.tensor2d(probs, [s.n, s.experts]);
  const r = routeOnDevice(p, s);
  const out = {
    capacity: r.capacity,
    dispatch: Array.from(await r.dispatch.data()),
    wanted: Array.from(await r.wanted.data()),
    kept: Array.from(await r.kept.data()),
  };
  tf.dispose([p, r.dispatch, r.combine, r.wanted, r.kept]);
  return out;
}

export function layerParams(s: CaseShape, seed: number): { params: Params; options: MoeConfig } {
  const r = moeKind.resolve(
    { experts: s.experts, top_k: s.topK, capacity: s.capacity, every: 1, shared: s.shared },
    { decoder: { width: s.width, depth: 1, mlp: { fn: "gelu", hidden: 4 }, mlpBias: false } },
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  return { params: Params.create(moeKind.manifest(r.config), seed), options: moeConfig(r.config) };
}

export interface LayerResult {
  readonly y: number[];
  readonly balance: number;
  readonly z: number;
  readonly load: number[];
  readonly dropped: number;
  readonly grads: Record<string, number[]>;
}

/**
 * One MoE layer routed as `mode` says on the backend in use: y, the losses, the load, and the
 * gradients of sum(y * w) + balance + z (w fixed random weights) for every weight.
 */
export async function layerCase(seed: number, mode: "host" | "device"): Promise<LayerResult> {
  const s = caseShape(seed);
  const { params, options } = layerParams(s, seed);
  const r = stream(seed * 31 + 5);
  const values = (k: number, scale: number) =>
    Float32Array.from({ length: k }, () => scale * (r() * 2 - 1));
  // A strong router, so choices differ between tokens and capacity drops some.
  params
    .get("router.weight")
    .assign(tf.tensor2d(values(s.width * s.experts, 3), [s.width, s.experts]));
  const x = tf.tensor2d(values(s.n * s.width, 1), [s.n, s.width]);
  const w = tf.tensor2d(values(s.n * s.width, 1), [s.n, s.width]);
  const old = setMoeRouting(mode);
  try {
    let out:
      | {
          y: tf.Tensor;
          balance: tf.Scalar;
          z: tf.Scalar;
          load: number[];
          dropped: number;
          stats?: tf.Tensor;
        }
      | undefined;
    const vars = [...params.entries()].map(([, v]) => v);
    const { value, grads } = tf.variableGrads(() => {
      const o = moe(params, options, x);
      out = {
        y: tf.keep(o.y),
        balance: tf.keep(o.balance),
        z: tf.keep(o.z),
        load: o.load,
        dropped: o.dropped,
        ...(o.pendingStats ? { stats: tf.keep(o.pendingStats) } : {}),
      };
      return tf.addN([tf.sum(tf.mul(o.y, w)), o.balance, o.z]) as tf.Scalar;
    }, vars);
    const o = out!;
    let load = o.load;
    let dropped = o.dropped;
    if (o.stats !== undefined) {
      const v = Array.from(await o.stats.data());
      load = v.slice(0, -1);
      dropped = v.at(-1)!;
    }
    const named: Record<string, number[]> = {};
    for (const [name, v] of params.entries()) {
      const g = grads[v.name];
      // A weight the host path never used (an expert given no token) has no gradient: zeros.
      named[name] =
        g === undefined ? new Array<number>(v.size).fill(0) : Array.from(await g.data());
    }
    const result = {
      y: Array.from(await o.y.data()),
      balance: (await o.balance.data())[0]!,
      z: (await o.z.data())[0]!,
      load,
      dropped,
      grads: named,
    };
    tf.dispose([
      value,
      o.y,
      o.balance,
      o.z,
      ...(o.stats ? [o.stats] : []),
      ...Object.values(grads),
      x,
      w,
    ]);
    params.dispose();
    return result;
  } finally {
    setMoeRouting(old);
  }
}

/** The largest absolute difference between two results' numbers (Infinity when shapes differ). */
export function largestDifference(a: LayerResult, b: LayerResult): number {
  const lists: [number[], number[]][] = [
    [a.y, b.y],
    [
      [a.balance, a.z, a.dropped],
      [b.balance, b.z, b.dropped],
    ],
    [a.load, b.load],
    ...Object.keys(a.grads).map((k) => [a.grads[k]!, b.grads[k] ?? []] as [number[], number[]]),
  ];
  let worst = 0;
  for (const [p, q] of lists) {
    if (p.length !== q.length) return Infinity;
    for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i]! - q[i]!));
  }
  return worst;
}
