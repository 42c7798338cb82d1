// Differential: every model of examples/tiny.mm, built by the runtime from the checker's IR, has
// exactly the parameter count `mmc info` reports, tensor by tensor. (The MM1-size examples are
// too large to allocate here; their manifests are checked against `mmc info` in test/check.)
import { describe, expect, test } from "vitest";
import { checkFile } from "../../src/pipeline.js";
import { fileHost } from "../../src/cli/host.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { useBackend } from "./helpers.js";

describe("runtime and checker agree on examples/tiny.mm", () => {
  const result = checkFile("examples/tiny.mm", fileHost);
  const models = result.checked?.models ?? [];

  test("the example checks and has models", () => {
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(models.length).toBeGreaterThanOrEqual(4);
  });

  test.each(models.map((m) => [m.name, m] as const))("%s", async (_name, m) => {
    await useBackend("cpu");
    const built = MultimodalModel.fromInput(
      { ...(m.image ? { image: m.image } : {}), ...m.parts },
      1,
    );
    try {
      expect(built.params.count()).toBe(m.summary.params);
      const shapes = new Map([...built.params.entries()].map(([n, v]) => [n, v.shape.join("x")]));
      for (const t of m.summary.manifest) {
        if (t.tiedTo) continue;
        expect(shapes.get(t.name), t.name).toBe(t.shape.join("x"));
      }
    } finally {
      built.dispose();
    }
  });
});
