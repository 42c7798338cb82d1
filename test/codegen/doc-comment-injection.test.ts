// Regressions for issue 9: a `///` doc comment that closes the generated `/** */` block ran code
// when `mmc run` imported the generated models (also from an imported file), and a harmless
// `/// ok */ x` crashed `mmc compile` with exit 70.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { mmc, ROOT } from "../cli/run-mmc.js";

/** The attack, writing a marker file instead of running `touch`. */
function attack(name: string, marker: string): string {
  return `/// x */ const ${name} = (await import("node:fs")).writeFileSync(${JSON.stringify(marker)}, "pwned"); /*`;
}

describe("doc comments cannot become code", () => {
  test("`mmc run` does not execute a doc comment, in the spec or in a file it imports", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-inject-"));
    const markers = { main: join(dir, "pwned-main"), lib: join(dir, "pwned-lib") };
    writeFileSync(
      join(dir, "lib.mm"),
      `import { Decoder } from "std/llm"
${attack("pwnLib", markers.lib)}
model LibText { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 128 } }
`,
    );
    const spec = join(dir, "spec.mm");
    copyFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), spec);
    const micro = readFileSync(spec, "utf8")
      .replace(
        'import { Decoder } from "std/llm"\n',
        'import { Decoder } from "std/llm"\nimport { LibText } from "./lib.mm"\n',
      )
      .replace("model Micro {", `${attack("pwnMain", markers.main)}\nmodel Micro {`);
    expect(micro).toContain("pwnMain");
    writeFileSync(
      spec,
      `${micro}\ntrain lib = micro { model: LibText, checkpoint: { every: 2, dir: "runs/lib" } }\n`,
    );
    const r = mmc(["run", spec, "--train", "lib", "--steps", "1", "--backend", "cpu"], {
      cwd: dir,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/finished at step 1\/1/);
    // The generated models module was imported (the train ran) and neither doc comment ran.
    expect(existsSync(markers.main)).toBe(false);
    expect(existsSync(markers.lib)).toBe(false);
    const models = readFileSync(join(dir, ".mmc", "spec", "models.ts"), "utf8");
    expect(models).toContain(' * x *\\/ const pwnMain = (await import("node:fs"))');
    expect(models).toContain(' * x *\\/ const pwnLib = (await import("node:fs"))');
  });

  test("`/// ok */ x` compiles (exit 0) to code that parses", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-inject-"));
    const spec = join(dir, "ok.mm");
    writeFileSync(
      spec,
      `import { Decoder } from "std/llm"
/// ok */ x
model M { llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 64 } }
`,
    );
    const out = join(dir, "out");
    const r = mmc(["compile", spec, "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const models = readFileSync(join(out, "models.ts"), "utf8");
    expect(models).toContain(" * ok *\\/ x\n");
    const { diagnostics } = ts.transpileModule(models, {
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    expect(diagnostics ?? []).toEqual([]);
  });
});
