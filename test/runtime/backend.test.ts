// Backend selection: wasm and cpu load; the native backend is not installed here, so asking for it
// is an error that names the package to install, and `auto` falls back to wasm (webgpu, which loads
// only where a GPU driver exists, has its own test file).
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { BackendError, selectBackend } from "../../src/runtime/backend.js";

describe("selectBackend", () => {
  it("loads wasm and cpu by name", async () => {
    expect(await selectBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(await selectBackend("cpu")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("explains what to install for a backend that does not load", async () => {
    await expect(selectBackend("tensorflow")).rejects.toThrow(BackendError);
    await expect(selectBackend("tensorflow")).rejects.toThrow(/install @tensorflow\/tfjs-node/);
  });

  it("auto picks the fastest backend that loads", async () => {
    const name = await selectBackend("auto");
    expect(["tensorflow", "webgpu", "wasm"]).toContain(name);
    expect(tf.getBackend()).toBe(name);
  });
});
