// Training memory per device (src/spec/devices.ts), worked by hand.
import { describe, expect, it } from "vitest";
import { memoryPerDevice } from "../../src/spec/devices.js";

describe("memoryPerDevice", () => {
  const m = {
    precision: "fp32",
    weights: 1000,
    gradients: 1000,
    optimizer: 2000,
    activations: 8000,
    total: 12000,
  };
  it("shards weights, gradients and AdamW state, and splits the batch's activations", () => {
    // 4 devices, batch 8: 250 + 250 + 500 + 8000 * 2 / 8 = 2000 = 3000 in all
    expect(memoryPerDevice(m, 4, 8)).toEqual({
      precision: "fp32",
      weights: 250,
      gradients: 250,
      optimizer: 500,
      activations: 2000,
      total: 3000,
    });
  });
  it("is the whole step on one device", () => {
    expect(memoryPerDevice(m, 1, 8)).toEqual(m);
  });
  it("rounds parts up, and an uneven batch gives the largest share its activations", () => {
    // 3 devices, batch 8: ceil(1000 / 3) = 334, ceil(2000 / 3) = 667, ceil(8 / 3) = 3 sequences
    // of 1000 bytes each = 3000
    expect(memoryPerDevice(m, 3, 8)).toEqual({
      precision: "fp32",
      weights: 334,
      gradients: 334,
      optimizer: 667,
      activations: 3000,
      total: 4335,
    });
  });
});
