// Every connector kind builds exactly its manifest, maps patch tokens to the right number of image
// tokens, and passes gradients back to the vision encoder.
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { composeModel } from "../../src/components/model.js";
import type { Config } from "../../src/components/types.js";
import { mlpProjectorConfig } from "../../src/components/mlp-projector.js";
import { mlpProjectorForward } from "../../src/runtime/layers/connector.js";
import { gelu, geluExact } from "../../src/runtime/layers/mlp.js";
import { adaptiveAvgPool, poolingMatrix } from "../../src/runtime/layers/pooling.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { tinyDecoder, useBackend } from "./helpers.js";

const connectors: { kind: string; config: Config; tokens: number }[] = [
  { kind: "AvgPool", config: { tokens: 4 }, tokens: 4 },
  { kind: "AttnPool", config: { tokens: 3, heads: 2 }, tokens: 3 },
  { kind: "CAbstractor", config: { tokens: 4, depth: 1, hidden: 8 }, tokens: 4 },
  { kind: "MLPProjector", config: {}, tokens: 16 },
];

describe("adaptive average pooling", () => {
  it("uses PyTorch's overlapping bins (3 -> 2: rows 0-1 and 1-2)", () => {
    const m = poolingMatrix(3, 1, 2, 1);
    expect(Array.from(m)).toEqual([0.5, 0.5, 0, 0, 0.5, 0.5]);
  });

  it("averages a 4x4 grid to 2x2", async () => {
    await useBackend("cpu");
    const x = tf.tensor3d(
      Float32Array.from({ length: 16 }, (_, i) => i),
      [1, 16, 1],
    );
    const y = adaptiveAvgPool(x, [4, 4], [2, 2]).dataSync();
    expect(Array.from(y)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`connectors on ${backend}`, () => {
    for (const c of connectors) {
      it(`${c.kind}: manifest, token count and gradients into the encoder`, async () => {
        await useBackend(backend);
        const summary = composeModel({
          image: [3, 16, 16],
          vision: {
            kind: "ViT",
            config: { patch: 4, width: 16, depth: 1, heads: 2, class_token: c.kind !== "AvgPool" },
          },
          connector: { kind: c.kind, config: c.config },
          llm: { kind: "Decoder", config: tinyDecoder({ context: 32 }) },
        });
        if (!summary.ok) throw new Error(summary.problems.map((p) => p.message).join("; "));
        const model = new MultimodalModel(summary, 3);
        expect(model.params.count()).toBe(summary.params);
        const images = tf.tensor4d(
          new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.cos(i)),
          [2, 3, 16, 16],
        );
        const tokens = tf.tidy(() => model.connect(model.encode(images)));
        expect(tokens.shape).toEqual([2, c.tokens, 32]);
        const patch = model.params.get("vision.patch_embed.weight");
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.square(model.connect(model.encode(images)))) as tf.Scalar,
          [patch],
        );
        expect(tf.norm(grads[patch.name]!).dataSync()[0]).toBeGreaterThan(0);
        tf.dispose([images, tokens, ...Object.values(grads)]);
        model.dispose();
      });
    }
  });
}

describe("MLPProjector's activation", () => {
  // fc1 and fc2 the identity with zero biases: the projector is its GELU.
  const xs = [-2, -1, -0.5, 0.5, 1, 2, 3];
  const identity = (n: number) => tf.eye(n);
  for (const backend of ["cpu", "wasm"] as const) {
    it(`act: gelu_exact is the erf GELU, the default the tanh one (${backend})`, async () => {
      await useBackend(backend);
      const n = xs.length;
      const weights: Record<string, tf.Tensor> = {
        "fc1.weight": identity(n),
        "fc1.bias": tf.zeros([n]),
        "fc2.weight": identity(n),
        "fc2.bias": tf.zeros([n]),
      };
      const p = { get: (name: string) => weights[name]!, scope: () => p };
      const x = tf.tensor3d(xs, [1, 1, n]);
      const exact = mlpProjectorForward(p, { act: "gelu_exact" }, x).dataSync();
      const tanh = mlpProjectorForward(p, mlpProjectorConfig(resolvedProjector()), x).dataSync();
      const erfGelu = geluExact(x).dataSync();
      const tanhGelu = gelu(x).dataSync();
      let apart = 0;
      for (let i = 0; i < n; i++) {
        expect(exact[i]).toBeCloseTo(erfGelu[i]!, 6);
        expect(tanh[i]).toBeCloseTo(tanhGelu[i]!, 6);
        apart = Math.max(apart, Math.abs(exact[i]! - tanh[i]!));
      }
      // The two GELUs differ by up to about 1e-3 on these inputs: the test can tell them apart.
      expect(apart).toBeGreaterThan(1e-4);
      tf.dispose([x, ...Object.values(weights)]);
    });
  }
});

/** A projector config as the checker resolves `MLPProjector {}` (act at its default). */
function resolvedProjector(): Config {
  const summary = composeModel({
    image: [3, 16, 16],
    vision: { kind: "ViT", config: { patch: 4, width: 16, depth: 1, heads: 2 } },
    connector: { kind: "MLPProjector", config: {} },
    llm: { kind: "Decoder", config: tinyDecoder({ context: 32 }) },
  });
  if (!summary.ok) throw new Error(summary.problems.map((p) => p.message).join("; "));
  return summary.parts.connector!.config;
}
