// MoE routing, capacity dropping, the Switch load-balance loss and the router z-loss against a
// small case worked out by hand.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { moeConfig, moe as moeKind, type MoeConfig } from "../../src/components/moe.js";
import type { Config } from "../../src/components/types.js";
import { mlp } from "../../src/runtime/layers/mlp.js";
import { moe, route, type MoeRouting } from "../../src/runtime/layers/moe.js";
import { Params } from "../../src/runtime/params.js";
import { useBackend } from "./helpers.js";

const top2: MoeRouting = { experts: 2, topK: 2, capacity: 0.5 };

describe("MoE routing", () => {
  it("fills capacity with first choices before second choices", () => {
    // capacity 0.5 * 3 tokens * 2 / 2 experts = 1.5 -> 2 slots per expert
    const probs = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]);
    const r = route(probs, 3, top2);
    expect(Array.from(r.tokens[0]!)).toEqual([0, 2]);
    expect(Array.from(r.tokens[1]!)).toEqual([1, 0]);
    expect(r.wanted).toEqual([3, 3]);
  });
});

function moeParams(config: Config): { params: Params; options: MoeConfig } {
  const r = moeKind.resolve(config, {
    decoder: { width: 2, depth: 1, mlp: { fn: "gelu", hidden: 4 }, mlpBias: false },
  });
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  const params = Params.create(moeKind.manifest(r.config), 3);
  return { params, options: moeConfig(r.config) };
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`MoE layer on ${backend}`, () => {
    it("drops over-capacity tokens and computes balance and z losses", async () => {
      await useBackend(backend);
      const { params, options } = moeParams({ experts: 2, top_k: 1, capacity: 1.0, every: 1 });
      params.get("router.weight").assign(
        tf.tensor2d([
          [1, 0],
          [0, 1],
        ]),
      );
      const rows = [
        [2, 0],
        [0, 1],
        [3, 0],
        [1, 0],
      ];
      const x = tf.tensor2d(rows);
      const out = moe(params, options, x);
      // capacity 1.0 * 4 * 1 / 2 = 2: expert 0 wants tokens 0, 2, 3 and takes 0 and 2.
      const probs = rows.map(([a, b]) => {
        const z = Math.exp(a!) + Math.exp(b!);
        return [Math.exp(a!) / z, Math.exp(b!) / z];
      });
      const f = [3 / 4, 1 / 4];
      const p = [0, 1].map((e) => probs.reduce((s, r) => s + r[e]!, 0) / 4);
      const balance = 2 * (f[0]! * p[0]! + f[1]! * p[1]!);
      const z = rows.reduce((s, [a, b]) => s + Math.log(Math.exp(a!) + Math.exp(b!)) ** 2, 0) / 4;
      expect(out.balance.dataSync()[0]).toBeCloseTo(balance, 5);
      expect(out.z.dataSync()[0]).toBeCloseTo(z, 4);
      expect(out.load).toEqual([0.5, 0.25]);
      expect(out.dropped).toBeCloseTo(0.25, 6);
      const y = out.y.arraySync();
      expect(y[3]).toEqual([0, 0]);
      const e0 = (
        mlp(params.scope("experts.0.mlp"), "gelu", tf.tensor2d([rows[0]!]), false) as tf.Tensor2D
      ).arraySync()[0]!;
      expect(y[0]![0]).toBeCloseTo(probs[0]![0]! * e0[0]!, 5);
      expect(y[0]![1]).toBeCloseTo(probs[0]![0]! * e0[1]!, 5);
      params.dispose();
    });

    it("sends gradients to the router through the gate values", async () => {
      await useBackend(backend);
      const { params, options } = moeParams({ experts: 2, top_k: 1, capacity: 2.0, every: 1 });
      const x = tf.randomNormal([6, 2], 0, 1, "float32", 7) as tf.Tensor2D;
      const router = params.get("router.weight");
      const grads = tf.variableGrads(
        () => tf.sum(moe(params, options, x).y) as tf.Scalar,
        [router],
      );
      const norm = tf.norm(grads.grads[router.name]!).dataSync()[0]!;
      expect(norm).toBeGreaterThan(0);
      params.dispose();
    });
  });
}
