// The emitted model.py against the checker, for every example and stdlib file: `--params` (every
// model and preset built on the meta device) prints exactly the counts of `mmc info --json`, per
// part and active; and every module's state-dict names and shapes are the checker's weight
// manifest through the Hugging Face name table. One Python process reads every file (importing
// torch is the slow part); one test runs `python model.py --params` itself.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckedProgram } from "../../src/check/ir.js";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { infoJson } from "../../src/cli/commands/info.js";
import { checkSpec } from "../../src/cli/load.js";
import { hfShape, toHfName } from "../../src/components/hf-names.js";
import type { PartSummary } from "../../src/components/model.js";
import type { WeightTensor } from "../../src/components/types.js";
import { specFiles } from "../check/spec-files.js";
import { runPython, torchPython } from "./python.js";

const python = torchPython("the PyTorch parameter-count test");

interface Counted {
  file: string;
  checked: CheckedProgram;
  modelPy: string;
}

/** The checker's manifest of one part (names under its prefix) as Hugging Face names and shapes. */
function expectedState(
  prefix: string,
  kind: string,
  config: PartSummary["config"],
  manifest: readonly WeightTensor[],
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const t of manifest) {
    if (t.tiedTo !== undefined) continue;
    const name = prefix === "" ? t.name : t.name.slice(prefix.length + 1);
    const hf = toHfName(kind, name, config);
    if (hf === undefined) throw new Error(`no Hugging Face name for ${kind} \`${name}\``);
    out[prefix === "" ? hf.name : `${prefix}.${hf.name}`] = hfShape(t.shape, hf.layout);
  }
  return out;
}

const counted: Counted[] = [];
interface Inspected {
  params: { models: unknown[]; components: unknown[] };
  models: Record<string, unknown>;
  components: Record<string, unknown>;
}
let states: Record<string, Inspected>;

describe.skipIf(python === undefined)("model.py --params equals mmc info --json", () => {
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "mmc-counts-"));
    for (const [i, file] of specFiles().entries()) {
      const r = checkSpec(file);
      const out = join(root, String(i));
      writeFiles(out, await generatePytorch(r.checked!, r.sources, file, out));
      counted.push({ file, checked: r.checked!, modelPy: join(out, "model.py") });
    }
    const json = join(root, "states.json");
    runPython(python!, [
      join(import.meta.dirname, "inspect_models.py"),
      json,
      ...counted.map((c) => c.modelPy),
    ]);
    states = JSON.parse(readFileSync(json, "utf8")) as typeof states;
  }, 600_000);

  test.each(specFiles())("%s: counts per model, part and preset, total and active", (file) => {
    const c = counted.find((x) => x.file === file)!;
    const got = states[c.modelPy]!.params;
    const info = infoJson(c.checked) as {
      models: { name: string; params: unknown; parts: Record<string, unknown>[] }[];
      components: { name: string; kind: string; role: string; params: unknown }[];
    };
    expect(got.models).toEqual(
      info.models.map((m) => ({
        name: m.name,
        params: m.params,
        parts: m.parts.map((p) => ({
          part: p["part"],
          kind: p["kind"],
          params: p["params"],
          active_params: p["active_params"],
        })),
      })),
    );
    expect(got.components).toEqual(
      info.components.map((x) => ({ name: x.name, kind: x.kind, role: x.role, params: x.params })),
    );
  });

  test("`python model.py --params` prints the same as the module's main", () => {
    const c = counted.find((x) => x.file === "examples/tiny.mm")!;
    const printed = JSON.parse(runPython(python!, [c.modelPy, "--params"])) as unknown;
    expect(printed).toEqual(states[c.modelPy]!.params);
    expect(printed).toMatchObject({ file: "examples/tiny.mm" });
  });

  test.each(specFiles())("%s: state-dict names and shapes are the manifest's", (file) => {
    const c = counted.find((x) => x.file === file)!;
    const state = states[c.modelPy]!;
    for (const m of c.checked.models) {
      const s = m.summary;
      const want: Record<string, number[]> = {};
      for (const part of [s.parts.vision, s.parts.connector, s.parts.llm])
        if (part)
          Object.assign(want, expectedState(part.part, part.kind, part.config, part.manifest));
      expect(state.models[m.name], m.name).toEqual(want);
    }
    for (const p of c.checked.components) {
      const s = p.summary;
      expect(state.components[p.name], p.name).toEqual(
        expectedState("", s.kind, s.config, s.manifest),
      );
    }
  });
});
