// Mixture-of-experts FFN: a softmax router picks `topK` experts per token; each expert takes at
// most ceil(capacity * tokens * topK / experts) tokens (first choices before second choices, in
// token order; the rest are dropped and pass through on the residual). Shared experts see every
// token, optionally behind a learned sigmoid gate. Adds the Switch/GShard load-balance loss and
// the router z-loss.
// Routing runs in one of two ways, equal to 1e-5 (test/runtime/moe-device.test.ts): on the host
// (`route`: the probabilities read back, expert lists gathered and scattered by index), or on the
// device (`routeOnDevice`, GShard's form: top-k, each assignment's place in its expert's queue by
// a cumulative sum, fixed capacity slots, and dispatch and combine matrices the expert inputs
// and outputs go through by matMul; no readback and no integer or boolean tensor). The device
// form is the default on webgpu, which cannot read back inside a step (a synchronous read there
// gives zeros, docs/benchmarks.md); elsewhere the host form, since the device form's matMuls
// cost O(tokens^2 * topK * capacity * width).
import * as tf from "@tensorflow/tfjs-core";
import type { MoeConfig } from "../../components/moe.js";
import { MOE, PARAM, dot } from "../../components/weight-names.js";
import { logSumExp } from "../ops/logsumexp.js";
import { linear } from "../ops/matmul.js";
import { gatherRows, scatterAddRows } from "../ops/rows.js";
import type { ParamScope } from "../params.js";
import { mlp } from "./mlp.js";

/** What routing reads of a resolved MoE config (`MoeConfig` has it all). */
export type MoeRouting = Pick<MoeConfig, "experts" | "topK" | "capacity">;

/**
 * `o` with a capacity that never drops a token (each expert may take every token): inference
 * routes so, the KV-cached decoder and the uncached forward alike, so a token's route does not
 * depend on how the sequence was split or batched.
 */
export function withoutCapacity<T extends MoeRouting>(o: T): T {
  return { ...o, capacity: o.experts / o.topK };
}

export interface MoeOutput {
  /** [n, width] */
  readonly y: tf.Tensor2D;
  /** experts * sum_e f_e * P_e (1 when routing is uniform). */
  readonly balance: tf.Scalar;
  /** mean over tokens of logsumexp(router logits)^2. */
  readonly z: tf.Scalar;
  /** Fraction of the n * topK assignments each expert processed (after dropping). */
  readonly load: number[];
  /** Fraction of assignments dropped for capacity. */
  readonly dropped: number;
  /**
   * Device routing: `load` then `dropped` as one tensor [experts + 1], for the caller to read
   * after the step (the trainer keeps it out of the step's tidy); `load` and `dropped` are then
   * empty and 0.
   */
  readonly pendingStats?: tf.Tensor1D;
}

export type MoeRoutingMode = "host" | "device" | "auto";
let routingMode: MoeRoutingMode = "auto";

/**
 * Where MoE routing runs: "host", "device", or "auto" (the default: device on webgpu, host on
 * the backends that read synchronously). Returns the mode it replaces.
 */
export function setMoeRouting(mode: MoeRoutingMode): MoeRoutingMode {
  const old = routingMode;
  routingMode = mode;
  return old;
}

/** Whether MoE layers route on the device on the backend in use. */
export function routesOnDevice(): boolean {
  if (routingMode !== "auto") return routingMode === "device";
  return tf.getBackend() === "webgpu";
}

/** The routing decisions, computed on the host from the router probabilities. */
export interface Routing {
  /** [n * experts] 0/1: the expert is among the token's top-k (before dropping). */
  readonly chosen: Float32Array;
  /** Per expert, the tokens it processes, in priority order. */
  readonly tokens: Int32Array[];
  /** Per expert, the assignments it was given before dropping. */
  readonly wanted: number[];
}

export function expertCapacity(n: number, experts: number, topK: number, factor: number): number {
  return Math.ceil((factor * n * topK) / experts);
}

/** Top-k by probability (ties: lower expert index), then capacity with first choices first. */
export function route(probs: Float32Array, n: number, o: MoeRouting): Routing {
  const e = o.experts;
  const cap = expertCapacity(n, e, o.topK, o.capacity);
  const choice: number[][] = [];
  const chosen = new Float32Array(n * e);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: e }, (_, j) => j);
    order.sort((a, b) => (probs[i * e + b] as number) - (probs[i * e + a] as number) || a - b);
    const top = order.slice(0, o.topK);
    choice.push(top);
    for (const j of top) chosen[i * e + j] = 1;
  }
  const lists: number[][] = Array.from({ length: e }, () => []);
  const wanted = new Array<number>(e).fill(0);
  for (let r = 0; r < o.topK; r++) {
    for (let i = 0; i < n; i++) {
      const j = (choice[i] as number[])[r] as number;
      wanted[j] = (wanted[j] as number) + 1;
      const list = lists[j] as number[];
      if (list.length < cap) list.push(i);
    }
  }
  return { chosen, tokens: lists.map((l) => Int32Array.from(l)), wanted };
}

/** The routing decisions as tensors (routeOnDevice); none carries a gradient but `combine`. */
export interface DeviceRouting {
  /** Capacity slots per expert. */
  readonly capacity: number;
  /** [n, experts * capacity] 0/1: token i fills slot c of expert j at column j * capacity + c. */
  readonly dispatch: tf.Tensor2D;
  /** [n, experts * capacity]: `dispatch` times the token's gate for that expert. */
  readonly combine: tf.Tensor2D;
  /** [experts]: fraction of the n * topK assignments each expert was given before dropping. */
  readonly wanted: tf.Tensor1D;
  /** [experts]: fraction of the n * topK assignments each expert processed. */
  readonly kept: tf.Tensor1D;
}

/** `t`'s values as a new tensor outside the gradient tape (routing decisions are constants). */
function detached(t: tf.Tensor): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
}

/**
 * `route` as tensor ops on the backend in use, float32 throughout (cumulative sums of 0/1 values
 * are exact below 2^24). Per rank r: the first maximum of the probabilities not yet chosen
 * (equal values: the lower expert index, as `route` breaks ties), found by comparisons written
 * as arithmetic (sign, relu, an exclusive cumulative sum); its place in the expert's queue is the
 * assignments of earlier ranks to it plus those of rank r from earlier tokens; it is kept below
 * capacity, in the slot its place names.
 */
export function routeOnDevice(probs: tf.Tensor2D, o: MoeRouting): DeviceRouting {
  const [n, e] = probs.shape;
  const cap = expertCapacity(n, e, o.topK, o.capacity);
  const slots = tf.reshape(tf.range(0, cap, 1, "float32"), [1, 1, cap]);
  const p = detached(probs);
  let rest: tf.Tensor = p;
  let given: tf.Tensor = tf.zeros([1, e]); // assignments of earlier ranks, per expert
  let chosen: tf.Tensor = tf.zeros([n, e]);
  let keptAll: tf.Tensor = tf.zeros([n, e]);
  let dispatch3: tf.Tensor = tf.zeros([n, e, cap]);
  for (let r = 0; r < o.topK; r++) {
    const isMax = tf.relu(tf.add(tf.sign(tf.sub(rest, tf.max(rest, 1, true))), 1)); // 1 at maxima
    const before = tf.clipByValue(tf.cumsum(isMax, 1, true), 0, 1); // a maximum to the left
    const pick = tf.mul(isMax, tf.sub(1, before)); // [n, e] one 1 per row
    rest = tf.sub(rest, tf.mul(pick, 2)); // probabilities are at most 1: out of later ranks
    chosen = tf.add(chosen, pick);
    const place = tf.mul(tf.add(tf.cumsum(pick, 0, true), given), pick);
    const keep = tf.mul(pick, tf.clipByValue(tf.sub(cap, place), 0, 1)); // place < cap
    keptAll = tf.add(keptAll, keep);
    // One-hot of the place over the slots: 1 - |place - c| is 1 at c and at most 0 elsewhere.
    const slot = tf.relu(tf.sub(1, tf.abs(tf.sub(tf.expandDims(place, 2), slots))));
    dispatch3 = tf.add(dispatch3, tf.mul(tf.expandDims(keep, 2), slot));
    given = tf.add(given, tf.sum(pick, 0, true));
  }
  let gates: tf.Tensor = tf.mul(probs, chosen);
  if (o.topK > 1) gates = tf.div(gates, tf.add(tf.sum(gates, 1, true), 1e-9));
  const combine = tf.reshape(tf.mul(dispatch3, tf.reshape(gates, [n, e, 1])), [n, e * cap]);
  const total = n * o.topK;
  return {
    capacity: cap,
    dispatch: tf.reshape(dispatch3, [n, e * cap]) as tf.Tensor2D,
    combine: combine as tf.Tensor2D,
    wanted: tf.div(tf.reshape(given, [e]), total) as tf.Tensor1D,
    kept: tf.div(tf.sum(keptAll, 0), total) as tf.Tensor1D,
  };
}

/** x [n, width] -> MoeOutput. Weights under `p`: router, experts.<e>.mlp, shared.<s>.mlp, shared_gate. */
export function moe(p: ParamScope, o: MoeConfig, x: tf.Tensor2D): MoeOutput {
  const n = x.shape[0];
  const e = o.experts;
  const logits = linear(x, p.get(dot(MOE.router, PARAM.weight))) as tf.Tensor2D; // [n, e]
  const probs = tf.softmax(logits) as tf.Tensor2D;
  if (routesOnDevice()) return moeOnDevice(p, o, x, logits, probs);
  const routing = route(probs.dataSync() as Float32Array, n, o);
  const chosen = tf.tensor2d(routing.chosen, [n, e]);
  let gates: tf.Tensor = tf.mul(probs, chosen);
  if (o.topK > 1) gates = tf.div(gates, tf.add(tf.sum(gates, 1, true), 1e-9));
  const gateFlat = tf.reshape(gates, [n * e, 1]) as tf.Tensor2D;

  const outs: tf.Tensor[] = [];
  const where: Int32Array[] = [];
  const load: number[] = [];
  let kept = 0;
  for (let j = 0; j < e; j++) {
    const idx = routing.tokens[j] as Int32Array;
    load.push(idx.length / (n * o.topK));
    kept += idx.length;
    if (idx.length === 0) continue;
    const index = tf.tensor1d(idx, "int32");
    const xe = gatherRows(x, index);
    const ye = mlp(p.scope(dot(MOE.expert(j), MOE.mlp)), o.expert.fn, xe, o.bias);
    const w = gatherRows(
      gateFlat,
      tf.tensor1d(
        idx.map((t) => t * e + j),
        "int32",
      ),
    );
    outs.push(tf.mul(ye, w));
    where.push(idx);
  }
  const width = x.shape[1];
  let y: tf.Tensor2D =
    outs.length === 0
      ? tf.zeros([n, width])
      : scatterAddRows(
          tf.concat(outs, 0) as tf.Tensor2D,
          tf.tensor1d(concatInt(where), "int32"),
          n,
        );
  const shared = sharedExperts(p, o, x);
  if (shared !== undefined) y = tf.add(y, shared);

  const fraction = tf.tensor1d(routing.wanted.map((c) => c / (n * o.topK)));
  const balance = tf.mul(tf.sum(tf.mul(fraction, tf.mean(probs, 0))), e) as tf.Scalar;
  const z = tf.mean(tf.square(logSumExp(logits))) as tf.Scalar;
  return { y, balance, z, load, dropped: 1 - kept / (n * o.topK) };
}

/** The MoE layer with routeOnDevice: expert inputs dispatch^T x, the output combine y_slots. */
function moeOnDevice(
  p: ParamScope,
  o: MoeConfig,
  x: tf.Tensor2D,
  logits: tf.Tensor2D,
  probs: tf.Tensor2D,
): MoeOutput {
  const e = o.experts;
  const width = x.shape[1];
  const r = routeOnDevice(probs, o);
  const cap = r.capacity;
  const inputs = tf.matMul(r.dispatch, x, true, false) as tf.Tensor2D; // [e * cap, width]
  const outs: tf.Tensor[] = [];
  for (let j = 0; j < e; j++) {
    const xe = tf.slice(inputs, [j * cap, 0], [cap, width]) as tf.Tensor2D;
    outs.push(mlp(p.scope(dot(MOE.expert(j), MOE.mlp)), o.expert.fn, xe, o.bias));
  }
  const slotsOut = tf.concat(outs, 0) as tf.Tensor2D; // [e * cap, width]
  let y = tf.matMul(r.combine, slotsOut) as tf.Tensor2D;
  const shared = sharedExperts(p, o, x);
  if (shared !== undefined) y = tf.add(y, shared);
  const balance = tf.mul(tf.sum(tf.mul(r.wanted, tf.mean(probs, 0))), e) as tf.Scalar;
  const z = tf.mean(tf.square(logSumExp(logits))) as tf.Scalar;
  const pendingStats = tf.concat1d([r.kept, tf.reshape(tf.sub(1, tf.sum(r.kept)), [1])]);
  return { y, balance, z, load: [], dropped: 0, pendingStats };
}

/** The shared experts' sum (undefined without them), behind the sigmoid gate where there is one. */
function sharedExperts(p: ParamScope, o: MoeConfig, x: tf.Tensor2D): tf.Tensor2D | undefined {
  const [n, width] = x.shape;
  if (o.shared === 0) return undefined;
  {
    let sharedSum: tf.Tensor = tf.zeros([n, width]);
    for (let s = 0; s < o.shared; s++)
      sharedSum = tf.add(
        sharedSum,
        mlp(p.scope(dot(MOE.shared(s), MOE.mlp)), o.sharedMlp.fn, x, o.bias),
      );
    if (o.sharedGate) {
      const gate = linear(x, p.get(dot(MOE.sharedGate, PARAM.weight)));
      sharedSum = tf.mul(sharedSum, tf.sigmoid(gate));
    }
    return sharedSum as tf.Tensor2D;
  }
}

function concatInt(parts: Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
