// Shared by the test/check suites: the example and standard-library spec files, and an in-memory
// host that checks generated `.mm` text while still reading `std/...` from the package.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileHost } from "../../src/cli/host.js";
import { checkFile, type CheckResult } from "../../src/pipeline.js";
import type { ModuleHost } from "../../src/resolve/program.js";

export const ROOT = join(import.meta.dirname, "..", "..");

/** `examples/*.mm` and `stdlib/*.mm`, relative to the repository root. */
export function specFiles(): string[] {
  return ["examples", "stdlib"].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith(".mm"))
      .sort()
      .map((f) => `${dir}/${f}`),
  );
}

/** Checks `text` as if it were the file `memory/NAME.mm`; imports of `std/...` read the real stdlib. */
export function checkText(text: string, name = "case"): CheckResult {
  const path = `memory/${name}.mm`;
  const host: ModuleHost = {
    read: (p) => (p === path ? { ok: true, text } : fileHost.read(p)),
    stdlibFile: (m) => fileHost.stdlibFile(m),
  };
  return checkFile(path, host);
}

export function errorsOf(r: CheckResult): string[] {
  return r.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`);
}
