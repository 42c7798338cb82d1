// The fused attention core (ops/fused-attention.ts) against attention op by op on cpu and wasm:
// values and the gradients of q, k and v for causal self-attention with rotary positions,
// grouped queries, odd sizes, and non-causal cross-attention (t != s, no rotary); then 20
// training steps of decoders (rope, grouped queries, per-head and full q/k norms) with the
// fused core against without it. The webgpu kernels are held to the same reference in chromium
// (webgpu-browser.test.ts).
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { ropeTablePacked, ropeTables } from "../../src/runtime/layers/positions.js";
import { reference } from "./attention-reference.js";
import {
  ATTENTION_GRAD_KV_KERNEL,
  ATTENTION_GRAD_Q_KERNEL,
  ATTENTION_KERNEL,
  ATTENTION_STATS_KERNEL,
  fusedAttention,
  hasFusedAttention,
} from "../../src/runtime/ops/fused-attention.js";
import { setFusedOps } from "../../src/runtime/ops/fused-switch.js";
import type { Config } from "../../src/components/types.js";
import { tinyCode, trainTiny, useBackend } from "./helpers.js";
import { kernelsOf, relDiff } from "./tensor-checks.js";

afterEach(() => setFusedOps({ attention: undefined }));

const CASES = [
  // b, t, s, heads, kvHeads, hd, causal, rope
  [2, 7, 7, 2, 2, 8, true, true],
  [1, 9, 9, 4, 2, 6, true, true], // grouped queries
  [2, 5, 5, 3, 1, 4, true, false], // one key/value head, no rotary
  [1, 4, 11, 2, 2, 5, false, false], // cross-attention, odd head dim
  [2, 6, 3, 2, 1, 4, true, false], // t > s: the first rows see no key
] as const;

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused attention on ${backend}`, () => {
    for (const [b, t, s, heads, kvHeads, hd, causal, rope] of CASES)
      it(`gives attention's values and gradients: b ${b}, t ${t}, s ${s}, heads ${heads}/${kvHeads}, hd ${hd}${causal ? ", causal" : ""}${rope ? ", rope" : ""}`, async () => {
        await useBackend(backend);
        setFusedOps({ attention: true });
        const seed = b * 100 + t * 10 + s;
        const q = tf.randomNormal([b, t, heads, hd], 0, 1, "float32", seed);
        const k = tf.randomNormal([b, s, kvHeads, hd], 0, 1, "float32", seed + 1);
        const v = tf.randomNormal([b, s, kvHeads, hd], 0, 1, "float32", seed + 2);
        expect(hasFusedAttention(q, k, rope)).toBe(true);
        const tables = rope ? ropeTables(t, hd, 10000) : undefined;
        const packed = rope ? ropeTablePacked(t, hd, 10000) : undefined;
        const dy = tf.randomNormal([b, t, heads, hd], 0, 1, "float32", seed + 3);
        const loss =
          (f: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor) =>
          (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
            tf.sum(tf.mul(f(a, c, d), dy));
        const fused = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          fusedAttention(a, c, d, packed, 1 / Math.sqrt(hd), causal);
        const ops = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
          reference(a, c, d, tables, causal);
        let gf: tf.Tensor[] = [];
        const names = kernelsOf(() => {
          gf = tf.grads(loss(fused))([q, k, v]);
        });
        for (const kernel of [
          ATTENTION_KERNEL,
          ATTENTION_STATS_KERNEL,
          ATTENTION_GRAD_Q_KERNEL,
          ATTENTION_GRAD_KV_KERNEL,
        ])
          expect(names).toContain(kernel);
        // No product, transpose or softmax: the core is the fused kernels alone.
        for (const kernel of ["BatchMatMul", "Transpose", "Softmax"])
          expect(names).not.toContain(kernel);
        const go = tf.grads(loss(ops))([q, k, v]);
        const yf = fused(q, k, v);
        const yo = ops(q, k, v);
        expect(relDiff(yf, yo)).toBeLessThan(1e-5);
        for (let i = 0; i < 3; i++) {
          expect(relDiff(gf[i]!, go[i]!), `gradient ${"qkv"[i]}`).toBeLessThan(1e-5);
          expect(tf.max(tf.abs(go[i]!)).dataSync()[0]).toBeGreaterThan(0.05);
        }
        if (causal && t > s) {
          // Rows that see no key are zeros, and finite.
          const first = tf.slice(yf, [0, 0, 0, 0], [b, t - s, heads, hd]);
          expect(tf.max(tf.abs(first)).dataSync()[0]).toBe(0);
          first.dispose();
        }
        tf.dispose([
          q,
          k,
          v,
          dy,
          yf,
          yo,
          ...gf,
          ...go,
          ...(tables ?? []),
          ...(packed ? [packed] : []),
        ]);
      });

    for (const config of <Config[]>[
      { position: "rope", norm: "rms" },
      { position: "rope", norm: "rms", heads: 4, kv_heads: 2, qk_norm: "head" },
      { position: "rope", norm: "layer", qk_norm: "full" },
      { position: "learned", norm: "layer" },
    ])
      it(`trains 20 steps with the fused core to the op-by-op losses within 1e-5: ${JSON.stringify(config)}`, async () => {
        await useBackend(backend);
        const { loss } = await tinyCode(config);
        const run = async (on: boolean) => {
          setFusedOps({ attention: on });
          const { losses, kernels } = await trainTiny(config, loss);
          expect(kernels.has(ATTENTION_KERNEL)).toBe(on);
          return losses;
        };
        const fused = await run(true);
        const ops = await run(false);
        const worst = Math.max(...fused.map((v, i) => Math.abs(v - ops[i]!) / Math.abs(ops[i]!)));
        expect(worst).toBeLessThan(1e-5);
        expect(ops[19]).toBeLessThan(ops[0]! * 0.7);
      }, 120_000);
  });
}
