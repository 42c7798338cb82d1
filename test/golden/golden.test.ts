// Golden diagnostics: each test/golden/**/NAME.mm is checked and its rendered diagnostics are
// compared with NAME.out. `npm run golden:update` (MMC_UPDATE_GOLDEN=1) rewrites the .out files.
// Cases under test/golden/pytorch/ are also checked for what `--target pytorch` cannot run.
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { checkFile } from "../../src/pipeline.js";
import { fileHost } from "../../src/cli/host.js";
import { renderRich, renderShort } from "../../src/diagnostics/render.js";
import { allCodes } from "../../src/diagnostics/codes.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { checkTarget } from "../../src/codegen/pytorch/target.js";

const ROOT = join(import.meta.dirname, "..", "..");
const GOLDEN = join(ROOT, "test", "golden");
const update = process.env["MMC_UPDATE_GOLDEN"] === "1";

function specs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return specs(full);
    return name.endsWith(".mm") && !name.startsWith("_") ? [full] : [];
  });
}

export function renderCase(file: string): { text: string; codes: string[] } {
  const rel = relative(ROOT, file).split("\\").join("/");
  const result = checkFile(rel, fileHost);
  const diagnostics =
    rel.startsWith("test/golden/pytorch/") && result.checked && !hasErrors(result.diagnostics)
      ? [...result.diagnostics, ...checkTarget(result.checked, "pytorch")]
      : result.diagnostics;
  const lookup = (f: string) => result.sources.get(f);
  const rich = diagnostics.map((d) => renderRich(d, lookup, { color: false }));
  const short = diagnostics.map((d) => renderShort(d, lookup));
  const text = `${rich.join("\n\n")}\n\n--- short ---\n${short.join("\n")}\n`;
  return { text, codes: diagnostics.map((d) => d.code) };
}

const seen = new Set<string>();

describe("golden diagnostics", () => {
  for (const file of specs(GOLDEN)) {
    const rel = relative(GOLDEN, file);
    test(rel, () => {
      const { text, codes } = renderCase(file);
      codes.forEach((c) => seen.add(c));
      const expectedFile = file.replace(/\.mm$/, ".out");
      if (update || !existsSync(expectedFile)) {
        writeFileSync(expectedFile, text);
        if (!update) throw new Error(`wrote missing golden ${expectedFile}; review it and rerun`);
      }
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
      // Each case is named for the behaviour it shows, so it must report something.
      expect(codes.length).toBeGreaterThan(0);
    });
  }

  test("every diagnostic code has at least one golden case", () => {
    const missing = allCodes()
      .map((c) => c.code)
      .filter((c) => !seen.has(c));
    expect(missing).toEqual([]);
  });
});
