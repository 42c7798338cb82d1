// The list of `mmc` commands with their summaries, usage text and flags.
import { suggest } from "../diagnostics/suggest.js";
import type { Io } from "./output.js";
import { checkCommand } from "./commands/check.js";
import { explainCommand } from "./commands/explain.js";
import { infoCommand } from "./commands/info.js";
import { dataCommand } from "./commands/data.js";
import { compileCommand } from "./commands/compile.js";
import { runCommand } from "./commands/run.js";
import { reportCommand } from "./commands/report.js";
import { diffCommand } from "./commands/diff.js";
import { fmtCommand } from "./commands/fmt.js";

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

export const COMMANDS: readonly Command[] = [
  checkCommand,
  infoCommand,
  compileCommand,
  runCommand,
  reportCommand,
  diffCommand,
  dataCommand,
  fmtCommand,
  explainCommand,
];

export function commandUsage(cmd: Command): string {
  return `mmc ${cmd.name} — ${cmd.summary}\n\n${cmd.usage.trimEnd()}\n`;
}

export function suggestCommand(name: string): string | undefined {
  return suggest(
    name,
    COMMANDS.map((c) => c.name),
  );
}
