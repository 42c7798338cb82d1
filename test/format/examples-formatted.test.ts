// Every file in examples/ and stdlib/ is in the canonical layout: `mmc fmt --check` passes on
// them (CI runs the same command after lint).
import { expect, test } from "vitest";
import { mmc, ROOT } from "../cli/run-mmc.js";

test("examples/ and stdlib/ are formatted", () => {
  const r = mmc(["fmt", "--check", "examples", "stdlib"], { cwd: ROOT });
  expect(r.stdout).toMatch(/^\d+ files are formatted\n$/);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
});
