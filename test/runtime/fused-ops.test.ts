// The fused layer kernels (ops/fused-elementwise.ts: SwiGLU, rotary; ops/fused-loss.ts: masked
// cross-entropy) against their op-by-op forms on wasm and cpu: values and gradients on random
// inputs (masked positions included), and 20 training steps' losses with every fused op on
// against every one off.
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import { swiglu, swigluOps } from "../../src/runtime/layers/mlp.js";
import { applyRope, applyRopeOps, ropeTables } from "../../src/runtime/layers/positions.js";
import {
  ROPE_KERNEL,
  SWIGLU_GRAD_KERNEL,
  SWIGLU_KERNEL,
} from "../../src/runtime/ops/fused-elementwise.js";
import {
  CROSS_ENTROPY_GRAD_KERNEL,
  CROSS_ENTROPY_KERNEL,
} from "../../src/runtime/ops/fused-loss.js";
import {
  MASKED_SOFTMAX_GRAD_KERNEL,
  MASKED_SOFTMAX_KERNEL,
  fusedMaskedSoftmax,
} from "../../src/runtime/ops/fused-softmax.js";
import { setFusedOps } from "../../src/runtime/ops/fused-switch.js";
import { causalMask } from "../../src/runtime/layers/attention.js";
import { crossEntropy, crossEntropyOps } from "../../src/runtime/train/loss.js";
import { tinyCode, trainTiny, useBackend } from "./helpers.js";
import { compareFused } from "./tensor-checks.js";

afterEach(() => {
  setFusedOps({
    swiglu: undefined,
    rope: undefined,
    crossEntropy: undefined,
    maskedSoftmax: undefined,
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused layer ops on ${backend}`, () => {
    it("computes SwiGLU and its gradients as the op-by-op form does", async () => {
      await useBackend(backend);
      // Off by default on wasm (slower there, ops/fused-switch.ts): forced on to test it.
      setFusedOps({ swiglu: true });
      for (const shape of [
        [6, 40],
        [3, 5, 7],
      ]) {
        const g = tf.randomNormal(shape, 0, 3, "float32", 1);
        const u = tf.randomNormal(shape, 0.5, 2, "float32", 2);
        compareFused(swiglu, swigluOps, [g, u], [SWIGLU_KERNEL, SWIGLU_GRAD_KERNEL]);
        tf.dispose([g, u]);
      }
    });

    it("applies rotary positions and their gradient as the op-by-op form does", async () => {
      await useBackend(backend);
      setFusedOps({ rope: true });
      for (const shape of [
        [2, 3, 5, 8],
        [7, 16],
      ]) {
        const [cos, sin] = ropeTables(shape.at(-2)!, shape.at(-1)!, 100);
        const x = tf.randomNormal(shape, 0, 2, "float32", 3);
        compareFused(
          (a) => applyRope(a, cos, sin),
          (a) => applyRopeOps(a, cos, sin),
          [x],
          [ROPE_KERNEL],
        );
        tf.dispose([x, cos, sin]);
      }
    });

    it("computes masked cross-entropy and its gradient as the op-by-op form does", async () => {
      await useBackend(backend);
      setFusedOps({ crossEntropy: true });
      const [n, vocab] = [24, 37];
      const logits = tf.randomNormal([n, vocab], 0, 3, "float32", 4);
      const targets = tf.tensor1d(
        Int32Array.from({ length: n }, (_, i) => (i * 11 + 3) % vocab),
        "int32",
      );
      // Masked positions at the start, the end and between.
      const mask = tf.tensor1d(
        Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 || i === n - 1 ? 0 : 1)),
      );
      compareFused(
        (l) => tf.mul(crossEntropy(l as tf.Tensor2D, targets, mask), 1),
        (l) => crossEntropyOps(l as tf.Tensor2D, targets, mask),
        [logits],
        [CROSS_ENTROPY_KERNEL, CROSS_ENTROPY_GRAD_KERNEL],
      );
      // A masked position's logits get no gradient.
      const g = tf.grad((l: tf.Tensor) => crossEntropy(l as tf.Tensor2D, targets, mask))(logits);
      expect(Array.from(tf.slice(g, [5, 0], [1, vocab]).dataSync()).every((v) => v === 0)).toBe(
        true,
      );
      // All masked: a zero loss (the mean over max(count, 1)), as the op-by-op form gives.
      const none = tf.zeros([n]) as tf.Tensor1D;
      expect(crossEntropy(logits as tf.Tensor2D, targets, none).dataSync()[0]).toBe(0);
      tf.dispose([logits, targets, mask, g, none]);
    });

    it("computes the scaled masked softmax and its gradient as the op-by-op form does", async () => {
      await useBackend(backend);
      setFusedOps({ maskedSoftmax: true });
      // [bh, t, s]: t == s, t < s (a cache of earlier keys), odd sizes; causal and not.
      for (const [bh, t, s] of [
        [3, 7, 7],
        [2, 5, 11],
        [1, 1, 9],
        [4, 13, 13],
      ] as const)
        for (const causal of [true, false]) {
          const scale = 1 / Math.sqrt(5);
          const x = tf.randomNormal([bh, t, s], 0, 4, "float32", bh * 31 + s);
          compareFused(
            (a) => fusedMaskedSoftmax(a!, scale, causal),
            (a) => {
              let z: tf.Tensor = tf.mul(a!, scale);
              if (causal) z = tf.add(z, causalMask(t, s));
              return tf.softmax(z);
            },
            [x],
            [MASKED_SOFTMAX_KERNEL, MASKED_SOFTMAX_GRAD_KERNEL],
          );
          tf.dispose(x);
        }
      // t > s: the first rows see no key; they are zeros, not NaN, and so is their gradient.
      const x = tf.randomNormal([2, 5, 3], 0, 1, "float32", 9);
      const y = fusedMaskedSoftmax(x, 0.5, true);
      const rows = (y.arraySync() as number[][][]).flat();
      expect(rows.slice(0, 2).flat()).toEqual([0, 0, 0, 0, 0, 0]);
      expect(rows.flat().every((v) => Number.isFinite(v))).toBe(true);
      expect(rows[4]!.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      tf.dispose([x, y]);
    });

    it("trains 20 steps with the fused ops to the op-by-op losses within 1e-5", async () => {
      await useBackend(backend);
      const config = { position: "rope", norm: "rms" };
      const { loss } = await tinyCode(config);
      const run = async (on: boolean) => {
        setFusedOps({ swiglu: on, rope: on, crossEntropy: on, maskedSoftmax: on });
        const { losses, kernels } = await trainTiny(config, loss);
        const fusedKernels = [
          SWIGLU_KERNEL,
          ROPE_KERNEL,
          CROSS_ENTROPY_KERNEL,
          MASKED_SOFTMAX_KERNEL,
        ];
        expect(fusedKernels.map((k) => kernels.has(k))).toEqual(fusedKernels.map(() => on));
        return losses;
      };
      const fused = await run(true);
      const ops = await run(false);
      const worst = Math.max(...fused.map((v, i) => Math.abs(v - (ops[i] as number))));
      expect(worst).toBeLessThan(1e-5);
      // The model learns (the losses are not a constant).
      expect(ops[19]).toBeLessThan((ops[0] as number) * 0.7);
    });
  });
}
