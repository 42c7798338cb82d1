// Every example and standard-library file checks with no errors and no warnings, and declares
// something (a file that silently checks nothing would pass vacuously).
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import { specFiles } from "./spec-files.js";

describe("example and stdlib files check clean", () => {
  test("there are files to check", () => {
    expect(specFiles()).toEqual(expect.arrayContaining(["examples/tiny.mm", "stdlib/mm1.mm"]));
  });

  test.each(specFiles())("%s", (file) => {
    const r = checkFile(file, fileHost);
    const shown = r.diagnostics.map((d) => `${d.severity}[${d.code}]: ${d.message}`);
    expect(shown).toEqual([]);
    expect(r.checked).toBeDefined();
    const c = r.checked!;
    const declared =
      c.models.length + c.components.length + c.data.length + c.trains.length + c.sweeps.length;
    expect(declared).toBeGreaterThan(0);
  });
});
