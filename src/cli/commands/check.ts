// `mmc check FILE...`: parse, resolve and check; print diagnostics; exit 0, or 1 on errors.
import { checkSpec } from "../load.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { formatFlag, parseArgs, UsageError } from "../args.js";
import { printDiagnostics, type Io } from "../output.js";
import { escapeControls } from "../../diagnostics/terminal-text.js";
import type { Command } from "../commands.js";

export const COMMON_FLAGS = { values: ["format"], switches: ["no-color", "trace"] } as const;

export const checkCommand: Command = {
  name: "check",
  summary: "parse, resolve and check a spec; print diagnostics",
  usage: `usage: mmc check FILE... [--format rich|short|json | --json]

Exit status: 0 when there are no errors (warnings are allowed), 1 when there are errors.
With --format json (or --json), stdout is a JSON array with one object per diagnostic.`,
  async run(argv, io: Io) {
    const args = parseArgs(argv, {
      values: [...COMMON_FLAGS.values],
      switches: [...COMMON_FLAGS.switches, "json"],
    });
    const format = formatFlag(args);
    if (args.positionals.length === 0)
      throw new UsageError("`mmc check` needs a file, e.g. `mmc check examples/tiny.mm`");
    const all = [];
    const sources = new Map();
    for (const file of args.positionals) {
      const result = checkSpec(file);
      for (const d of result.diagnostics) all.push(d); // not push(...): a huge list overflows
      for (const [k, v] of result.sources) sources.set(k, v);
    }
    printDiagnostics(io, all, sources, format);
    if (format !== "json" && !hasErrors(all)) {
      io.stdout(
        `${escapeControls(args.positionals.join(", "))}: ok${all.length ? ` (${all.length} warning${all.length === 1 ? "" : "s"})` : ""}\n`,
      );
    }
    return hasErrors(all) ? 1 : 0;
  },
};
