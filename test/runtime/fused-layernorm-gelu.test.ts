// The fused LayerNorm (ops/fused-layernorm.ts) and GELU (ops/fused-gelu.ts) against their
// op-by-op forms on cpu and wasm: values and input gradients under a random cotangent, and 20
// training steps of a LayerNorm/GELU decoder (the mid benchmark's kinds) with both fused against
// both op by op. The webgpu kernels are held to the same forms in chromium
// (webgpu-browser.test.ts).
import * as tf from "@tensorflow/tfjs-core";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../../src/components/types.js";
import {
  gelu,
  geluExact,
  geluExactOps,
  geluOps,
  quickGelu,
  quickGeluOps,
} from "../../src/runtime/layers/mlp.js";
import { layerNorm, layerNormOps } from "../../src/runtime/layers/norm.js";
import { GELU_GRAD_KERNEL, GELU_KERNEL, erfApprox } from "../../src/runtime/ops/fused-gelu.js";
import {
  LAYER_NORM_GRAD_KERNEL,
  LAYER_NORM_KERNEL,
} from "../../src/runtime/ops/fused-layernorm.js";
import { setFusedOps } from "../../src/runtime/ops/fused-switch.js";
import { tinyCode, trainTiny, useBackend } from "./helpers.js";
import { compareFused } from "./tensor-checks.js";

afterEach(() =>
  setFusedOps({
    layerNorm: undefined,
    gelu: undefined,
    geluExact: undefined,
    quickGelu: undefined,
  }),
);

describe("erfApprox", () => {
  it("is erf within 1.5e-7 (Abramowitz and Stegun 7.1.26), odd, and saturates", () => {
    // erf by its Maclaurin series in float64 (converges quickly for |x| <= 3), against the
    // approximation the fused exact GELU uses.
    const series = (x: number) => {
      let term = x;
      let sum = x;
      for (let n = 1; n < 200; n++) {
        term *= (-x * x) / n;
        sum += term / (2 * n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    for (let x = -3; x <= 3; x += 0.0625)
      expect(Math.abs(erfApprox(x) - series(x))).toBeLessThan(1.5e-7);
    expect(erfApprox(-1.3)).toBe(-erfApprox(1.3));
    expect(erfApprox(10)).toBeCloseTo(1, 12);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`fused LayerNorm and GELU on ${backend}`, () => {
    it("computes LayerNorm and its gradients as the op-by-op form does", async () => {
      await useBackend(backend);
      setFusedOps({ layerNorm: true });
      for (const shape of [[6, 40], [3, 5, 7], [9], [64, 512]]) {
        const d = shape.at(-1)!;
        const x = tf.add(tf.randomNormal(shape, 0, 3, "float32", d), 2);
        const w = tf.randomNormal([d], 1, 0.3, "float32", d + 1);
        const b = tf.randomNormal([d], 0, 0.5, "float32", d + 2);
        compareFused(
          (a, c, e) => layerNorm(a!, c!, e!, 1e-5),
          (a, c, e) => layerNormOps(a!, c!, e!, 1e-5),
          [x, w, b],
          [LAYER_NORM_KERNEL, LAYER_NORM_GRAD_KERNEL],
        );
        tf.dispose([x, w, b]);
      }
    });

    for (const [form, fusedForm, opsForm, op] of [
      ["exact (erf)", geluExact, geluExactOps, "geluExact"],
      ["quick", quickGelu, quickGeluOps, "quickGelu"],
    ] as const)
      it(`computes GELU's ${form} form and its gradient as the op-by-op form does`, async () => {
        await useBackend(backend);
        setFusedOps({ [op]: true });
        for (const shape of [
          [6, 40],
          [3, 5, 7],
        ]) {
          const x = tf.randomNormal(shape, 0, 4, "float32", shape.length + 3);
          compareFused(
            (a) => fusedForm(a!),
            (a) => opsForm(a!),
            [x],
            [GELU_KERNEL, GELU_GRAD_KERNEL],
          );
          tf.dispose(x);
        }
      });

    it("computes GELU (tanh form) and its gradient as the op-by-op form does", async () => {
      await useBackend(backend);
      setFusedOps({ gelu: true });
      for (const shape of [
        [6, 40],
        [3, 5, 7],
      ]) {
        // Wide enough to reach both tails (tanh near +-1) as well as the middle.
        const x = tf.randomNormal(shape, 0, 4, "float32", shape.length);
        compareFused(
          (a) => gelu(a!),
          (a) => geluOps(a!),
          [x],
          [GELU_KERNEL, GELU_GRAD_KERNEL],
        );
        tf.dispose(x);
      }
    });

    it("trains 20 steps of a LayerNorm/GELU decoder fused to the op-by-op losses within 1e-5", async () => {
      await useBackend(backend);
      const config: Config = {
        position: "learned",
        norm: "layer",
        mlp: { fn: "gelu", hidden: 64 },
      };
      const { loss } = await tinyCode(config);
      const run = async (on: boolean) => {
        setFusedOps({ layerNorm: on, gelu: on });
        const { losses, kernels } = await trainTiny(config, loss);
        expect([kernels.has(LAYER_NORM_KERNEL), kernels.has(GELU_KERNEL)]).toEqual([on, on]);
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
