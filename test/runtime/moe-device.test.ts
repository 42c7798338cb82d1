// MoE routing on the device (routeOnDevice: cumulative sums, capacity slots, dispatch and combine
// by matMul) against the host routing (route: readback, index lists) on cpu and wasm: the routing
// decisions of random router probabilities exactly, and a whole layer's outputs, losses, load and
// the gradients of every weight to 1e-5. The same cases run on webgpu in chromium
// (webgpu-browser.test.ts).
import { describe, expect, it } from "vitest";
import {
  caseShape,
  deviceDispatch,
  hostDispatch,
  layerCase,
  largestDifference,
  randomProbs,
} from "./moe-cases.js";
import { useBackend } from "./helpers.js";

const SEEDS = Array.from({ length: 24 }, (_, i) => i + 1);

for (const backend of ["cpu", "wasm"] as const) {
  describe(`MoE routing on the device, ${backend}`, () => {
    it("makes the host routing's decisions for random router probabilities", async () => {
      await useBackend(backend);
      let dropping = 0;
      for (const seed of SEEDS) {
        const s = caseShape(seed);
        const probs = randomProbs(seed, s);
        const host = hostDispatch(probs, s);
        const dev = await deviceDispatch(probs, s);
        expect(dev, `seed ${seed}: ${JSON.stringify(s)}`).toEqual({
          ...host,
          wanted: host.wanted.map((v) => expect.closeTo(v, 6)),
          kept: host.kept.map((v) => expect.closeTo(v, 6)),
        });
        if (host.kept.reduce((a, b) => a + b, 0) < 0.999) dropping++;
      }
      // The cases exercise dropping, and both ranks.
      expect(dropping).toBeGreaterThan(4);
      expect(new Set(SEEDS.map((s) => caseShape(s).topK))).toEqual(new Set([1, 2]));
    });

    it("gives the host layer's outputs, losses, load and gradients", async () => {
      await useBackend(backend);
      for (const seed of SEEDS.slice(0, 10)) {
        const host = await layerCase(seed, "host");
        const dev = await layerCase(seed, "device");
        expect(largestDifference(host, dev), `seed ${seed}`).toBeLessThan(1e-5);
        // Not vacuous: the router's gradient is there and the outputs are not all zero.
        expect(host.y.some((v) => Math.abs(v) > 1e-4)).toBe(true);
        expect(host.grads["router.weight"]!.some((v) => v !== 0)).toBe(true);
      }
    });
  });
}
