// Mixture-of-experts FFN: a softmax router picks `topK` experts per token; each expert takes at
// most ceil(capacity * tokens * topK / experts) tokens (first choices before second choices, in
// token order; the rest are dropped and pass through on the residual). Shared experts see every
// token, optionally behind a learned sigmoid gate. Adds the Switch/GShard load-balance loss and
// the router z-loss.
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

/** x [n, width] -> MoeOutput. Weights under `p`: router, experts.<e>.mlp, shared.<s>.mlp, shared_gate. */
export function moe(p: ParamScope, o: MoeConfig, x: tf.Tensor2D): MoeOutput {
  const n = x.shape[0];
  const e = o.experts;
  const logits = linear(x, p.get(dot(MOE.router, PARAM.weight))) as tf.Tensor2D; // [n, e]
  const probs = tf.softmax(logits) as tf.Tensor2D;
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
  if (o.shared > 0) {
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
    y = tf.add(y, sharedSum);
  }

  const fraction = tf.tensor1d(routing.wanted.map((c) => c / (n * o.topK)));
  const balance = tf.mul(tf.sum(tf.mul(fraction, tf.mean(probs, 0))), e) as tf.Scalar;
  const z = tf.mean(tf.square(logSumExp(logits))) as tf.Scalar;
  return { y, balance, z, load, dropped: 1 - kept / (n * o.topK) };
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
