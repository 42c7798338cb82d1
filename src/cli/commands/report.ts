// `mmc report DIR [--out DIR]`: renders report.md and report.html for a run folder (what
// `mmc run` writes) or a sweep folder (sweep.json and a run folder per point; docs/sweep.md).
// Both files are written atomically: a reader never sees half a page.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { terminalSafe } from "../../report/escape.js";
import { readReportFolder, ReportInputError } from "../../report/read.js";

export const reportCommand: Command = {
  name: "report",
  summary: "write report.md and report.html (charts, tables) for a run or sweep folder",
  usage: `usage: mmc report DIR [--out DIR]

DIR is a run folder (with metrics.jsonl, as \`mmc run\` writes: the train's checkpoint folder)
or a sweep folder (with sweep.json; docs/sweep.md). Writes report.md (a table per metric, the
best value marked) and report.html (a self-contained page with the charts and tables, no network
needed) into DIR, or into --out DIR, and prints their paths.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["out", "format"],
      switches: ["no-color", "trace"],
      aliases: { "-o": "out" },
    });
    const dir = args.positionals[0];
    if (!dir || args.positionals.length > 1)
      throw new UsageError("`mmc report` needs one folder, e.g. `mmc report runs/tiny`");
    const outDir = args.values.get("out") ?? dir;
    let report;
    try {
      report = readReportFolder(dir);
    } catch (e) {
      if (e instanceof ReportInputError) {
        io.stderr(`error: ${terminalSafe(e.message)}\n`);
        return 1;
      }
      throw e;
    }
    // The charting library is large: load it only for this command.
    const { renderReport } = await import("../../report/index.js");
    const rendered = await renderReport(report);
    try {
      mkdirSync(outDir, { recursive: true });
    } catch (e) {
      io.stderr(
        `error: cannot create \`${terminalSafe(outDir)}\` (${(e as NodeJS.ErrnoException).code ?? String(e)}): choose another --out folder\n`,
      );
      return 1;
    }
    const written: string[] = [];
    for (const [name, text] of [
      ["report.md", rendered.markdown],
      ["report.html", rendered.html],
    ] as const) {
      const path = join(outDir, name);
      const failure = writeAtomically(path, text);
      if (failure) {
        io.stderr(`error: cannot write \`${terminalSafe(path)}\` (${failure})\n`);
        return 1;
      }
      written.push(path);
    }
    io.stdout(written.map((p) => `wrote ${terminalSafe(p)}\n`).join(""));
    return 0;
  },
};

/**
 * Writes a temp file beside `path`, flushes it to disk and renames it over `path`; returns the
 * error code on failure (the temp file is removed, an older report stays as it was).
 */
function writeAtomically(path: string, text: string): string | undefined {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    return undefined;
  } catch (e) {
    rmSync(tmp, { force: true });
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
