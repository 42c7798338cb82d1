// The PyTorch target's static Python (src/codegen/pytorch/py/), read from the installed package:
// codegen is pure, so the CLI reads the files and hands their text to the emitter.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FRAGMENTS } from "../codegen/pytorch/fragments.js";
import { COPIED_FILES } from "../codegen/pytorch/package-files.js";
import { PACKAGE_ROOT } from "./host.js";

export const PYTHON_DIR = join(PACKAGE_ROOT, "src", "codegen", "pytorch", "py");

export function readPythonSources(): Map<string, string> {
  return new Map(
    [...FRAGMENTS, ...COPIED_FILES].map((name) => [
      name,
      readFileSync(join(PYTHON_DIR, name), "utf8"),
    ]),
  );
}
