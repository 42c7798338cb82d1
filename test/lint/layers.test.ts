// The layout rules of eslint.config.js fire: a stage importing a later stage, the runtime
// importing the compiler, the library importing its programs, and `process` outside the CLI and
// the training program are errors; the directions the architecture allows are not. ESLint runs on
// small in-memory snippets under made-up paths in src/ (no file is written).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const eslint = new ESLint({ cwd: root, overrideConfigFile: join(root, "eslint.config.js") });

/** The rule ids and messages ESLint reports for `code` as the file `path` (relative to root). */
async function lint(path: string, code: string): Promise<{ rule: string; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result!.messages.map((m) => ({ rule: m.ruleId ?? "(parse)", message: m.message }));
}

const rules = async (path: string, code: string): Promise<string[]> =>
  (await lint(path, code)).map((m) => m.rule);

describe("the stage dependency direction", () => {
  it("stops an earlier stage importing a later one", async () => {
    const found = await lint(
      "src/syntax/layers-probe.ts",
      'import { checkProgram } from "../check/check.js";\nexport const x = checkProgram;\n',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.rule).toBe("mmc/layers");
    expect(found[0]!.message).toContain("src/syntax may not import src/check");
    expect(found[0]!.message).toContain("source, diagnostics");
  });

  it("lets a stage import the stages before it", async () => {
    expect(
      await rules(
        "src/check/layers-probe.ts",
        'import { parse } from "../syntax/parse.js";\nimport type { Program } from "../resolve/program.js";\nexport const x: [typeof parse, Program?] = [parse];\n',
      ),
    ).toEqual([]);
  });

  it("keeps components and metrics leaves, spec on the components alone", async () => {
    for (const [path, spec] of [
      ["src/components/layers-probe.ts", "../check/ir.js"],
      ["src/components/layers-probe.ts", "../runtime/params.js"],
      ["src/spec/layers-probe.ts", "../check/ir.js"],
      ["src/spec/layers-probe.ts", "../runtime/params.js"],
      ["src/metrics/layers-probe.ts", "../report/model.js"],
    ] as const)
      expect(await rules(path, `export * from "${spec}";\n`), `${path} -> ${spec}`).toEqual([
        "mmc/layers",
      ]);
  });

  it("keeps the runtime library off the compiler and its own programs", async () => {
    for (const spec of [
      "../syntax/parse.js",
      "../codegen/emit.js",
      "../cli/main.js",
      "./run/driver.js",
      "./data-tools/synthesize.js",
      "./generate/generate.js",
    ])
      expect(
        await rules("src/runtime/layers-probe.ts", `export * from "${spec}";\n`),
        spec,
      ).toEqual(["mmc/layers"]);
    // the components and a spec module are the library's only neighbours
    expect(
      await rules(
        "src/runtime/layers/layers-probe.ts",
        'export * from "../../components/vit.js";\nexport * from "../../spec/train.js";\nexport * from "../ops/matmul.js";\n',
      ),
    ).toEqual([]);
  });

  it("lets the training program use the library and the data tools, not the compiler", async () => {
    expect(
      await rules(
        "src/runtime/run/layers-probe.ts",
        'export * from "../data-tools/index.js";\nexport * from "../model.js";\n',
      ),
    ).toEqual([]);
    expect(
      await rules("src/runtime/run/layers-probe.ts", 'export * from "../../check/ir.js";\n'),
    ).toEqual(["mmc/layers"]);
  });

  it("checks dynamic imports and re-exports too", async () => {
    expect(
      await rules(
        "src/resolve/layers-probe.ts",
        'export async function f() {\n  return import("../codegen/emit.js");\n}\n',
      ),
    ).toEqual(["mmc/layers"]);
    expect(
      await rules("src/codegen/layers-probe.ts", 'export { cliMain } from "../cli/main.js";\n'),
    ).toEqual(["mmc/layers"]);
  });

  it("keeps TensorFlow.js in the runtime and file I/O out of the stages", async () => {
    expect(
      await rules("src/check/layers-probe.ts", 'export * as tf from "@tensorflow/tfjs-core";\n'),
    ).toEqual(["mmc/layers"]);
    expect(
      await rules("src/runtime/layers-probe.ts", 'export * as tf from "@tensorflow/tfjs-core";\n'),
    ).toEqual([]);
    expect(
      await rules("src/resolve/layers-probe.ts", 'export { readFileSync } from "node:fs";\n'),
    ).toEqual(["mmc/layers"]);
  });
});

describe("the process global", () => {
  const useProcess = "export const cwd = (): string => process.cwd();\n";

  it("is an error in the stages, the runtime library and the data tools", async () => {
    for (const path of [
      "src/check/layers-probe.ts",
      "src/runtime/layers/layers-probe.ts",
      "src/runtime/data/layers-probe.ts",
      "src/runtime/data-tools/layers-probe.ts",
      "src/lsp/layers-probe.ts",
    ]) {
      const found = await lint(path, useProcess);
      expect(
        found.map((m) => m.rule),
        path,
      ).toEqual(["no-restricted-globals"]);
      expect(found[0]!.message).toContain("only the CLI and the training program");
    }
  });

  it("cannot come in as node:process", async () => {
    expect(
      await rules("src/runtime/layers-probe.ts", 'export { cwd } from "node:process";\n'),
    ).toEqual(["mmc/layers"]);
  });

  it("is allowed in the CLI and the training program", async () => {
    expect(await rules("src/cli/layers-probe.ts", useProcess)).toEqual([]);
    expect(await rules("src/runtime/run/layers-probe.ts", useProcess)).toEqual([]);
  });
});
