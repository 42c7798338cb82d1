// Checking the spec named on the command line: a file that cannot be read is bad usage (exit 2),
// not a diagnostic, since there is no source to point into. Its name is shown escaped.
import { safeMessage } from "../diagnostics/terminal-text.js";
import { checkFile, type CheckResult } from "../pipeline.js";
import { MissingEntryError } from "../resolve/program.js";
import { UsageError } from "./args.js";
import { fileHost } from "./host.js";

export function checkSpec(file: string): CheckResult {
  try {
    return checkFile(file, fileHost);
  } catch (e) {
    if (e instanceof MissingEntryError)
      throw new UsageError(safeMessage(`\`${e.path}\` ${e.what}`));
    throw e;
  }
}
