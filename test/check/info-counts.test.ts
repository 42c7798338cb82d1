// Differential: the parameter counts `mmc info --json` prints (the checker's) equal the element
// counts of the weight tensors that the components' `composeModel` manifest lists, for every model
// and preset in examples/ and stdlib/. Also pins the JSON shape of `mmc info` on examples/tiny.mm.
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { componentKind } from "../../src/components/registry.js";
import { composeModel, type ModelInput } from "../../src/components/model.js";
import type { WeightTensor } from "../../src/components/types.js";
import { checkFile } from "../../src/pipeline.js";
import { mmc } from "../cli/run-mmc.js";
import { specFiles } from "./spec-files.js";

interface InfoParams {
  total: number;
  active: number;
  vision: number;
  connector: number;
  llm: number;
}
interface InfoJson {
  models: { name: string; params: InfoParams }[];
  components: { name: string; kind: string; params: { total: number; active: number } }[];
}

/** Elements of the tensors that own storage (a tied head is the embedding's storage). */
function elements(tensors: readonly WeightTensor[]): number {
  return tensors
    .filter((t) => t.tiedTo === undefined)
    .reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** Parameters one token uses, worked out from the manifest alone: routed experts count top_k / experts. */
function activeElements(tensors: readonly WeightTensor[], experts: number, topK: number): number {
  const routed = elements(tensors.filter((t) => t.expert !== undefined));
  return elements(tensors) - (routed * (experts - topK)) / experts;
}

function info(file: string): InfoJson {
  const r = mmc(["info", file, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as InfoJson;
}

const files = specFiles();

describe("`mmc info --json` counts equal the composed manifests", () => {
  let modelsSeen = 0;
  test.each(files)("%s", (file) => {
    const json = info(file);
    const checked = checkFile(file, fileHost).checked!;
    expect(json.models.map((m) => m.name)).toEqual(checked.models.map((m) => m.name));
    for (const m of checked.models) {
      modelsSeen++;
      const input: ModelInput = {
        ...(m.image ? { image: m.image } : {}),
        ...(m.parts.vision ? { vision: m.parts.vision } : {}),
        ...(m.parts.connector ? { connector: m.parts.connector } : {}),
        llm: m.parts.llm,
      };
      const composed = composeModel(input);
      if (!composed.ok) throw new Error(`${m.name} does not compose`);
      const tensors = composed.manifest;
      const printed = json.models.find((x) => x.name === m.name)!.params;
      const part = (p: string) => elements(tensors.filter((t) => t.name.startsWith(`${p}.`)));
      expect(printed.total).toBe(elements(tensors));
      expect([printed.vision, printed.connector, printed.llm]).toEqual([
        part("vision"),
        part("connector"),
        part("llm"),
      ]);
      const moe = composed.parts.llm.config["moe"];
      const routing =
        typeof moe === "object" && moe !== null && !Array.isArray(moe)
          ? {
              experts: (moe as Record<string, number>)["experts"]!,
              topK: (moe as Record<string, number>)["top_k"]!,
            }
          : undefined;
      expect(printed.active).toBe(
        routing ? activeElements(tensors, routing.experts, routing.topK) : printed.total,
      );
    }
    for (const c of checked.components) {
      const kind = componentKind(c.summary.kind)!;
      const printed = json.components.find((x) => x.name === c.name)!;
      expect(printed.params.total).toBe(elements(kind.manifest(c.summary.config)));
    }
  });

  test("the files hold models to compare", () => {
    // Runs after the per-file tests (vitest keeps declaration order within a file).
    expect(modelsSeen).toBeGreaterThanOrEqual(8);
  });
});

describe("`mmc info --json` shape", () => {
  test("examples/tiny.mm", () => {
    const json = info("examples/tiny.mm") as unknown as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["models", "components"]));
    expect(Array.isArray(json["components"])).toBe(true);
    const models = json["models"] as Record<string, unknown>[];
    expect(models.map((m) => m["name"])).toEqual(["Tiny", "TinyText", "TinyMoE", "Tiny144"]);
    for (const m of models) {
      const params = m["params"] as Record<string, unknown>;
      expect(Object.keys(params).sort()).toEqual(
        ["active", "connector", "llm", "total", "vision"].sort(),
      );
      for (const v of Object.values(params)) expect(Number.isSafeInteger(v)).toBe(true);
      const p = params as unknown as InfoParams;
      expect(p.total).toBe(p.vision + p.connector + p.llm);
      // Only the MoE variant routes (2 of 4 experts): active < total there, equal elsewhere.
      if (m["name"] === "TinyMoE") expect(p.active).toBeLessThan(p.total);
      else expect(p.active).toBe(p.total);
      if (m["name"] !== "TinyMoE") expect(p.total).toBeLessThanOrEqual(1e6); // the budget
      expect(Number.isSafeInteger(m["image_tokens"])).toBe(true);
    }
  });
});
