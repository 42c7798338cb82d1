// The list of `mmc` commands with their summaries; each command's module (its usage text, flags
// and code) is imported only when that command runs, so `mmc check` does not load the code
// generator, the training runtime, the report writer or the language server.
import { suggest } from "../diagnostics/suggest.js";
import type { Io } from "./output.js";

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** A command as `mmc --help` lists it; `load` imports its module. */
export interface CommandEntry {
  readonly name: string;
  /** The same text as the loaded command's `summary` (a test holds them equal). */
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "check",
    summary: "parse, resolve and check a spec; print diagnostics",
    load: async () => (await import("./commands/check.js")).checkCommand,
  },
  {
    name: "info",
    summary: "show shapes, parameters, FLOPs, image tokens and training memory",
    load: async () => (await import("./commands/info.js")).infoCommand,
  },
  {
    name: "compile",
    summary: "write the generated TypeScript (or, with --target pytorch, the PyTorch package)",
    load: async () => (await import("./commands/compile.js")).compileCommand,
  },
  {
    name: "run",
    summary: "compile and train: progress, metrics, checkpoints, exact resume",
    load: async () => (await import("./commands/run.js")).runCommand,
  },
  {
    name: "generate",
    summary: "continue a prompt with a trained model (images at `<image>` markers)",
    load: async () => (await import("./commands/generate.js")).generateCommand,
  },
  {
    name: "eval",
    summary: "score a checkpoint on the train's few-shot benchmark tasks",
    load: async () => (await import("./commands/eval.js")).evalCommand,
  },
  {
    name: "sweep",
    summary: "train every point of a sweep grid (resumable, in parallel) and write its report",
    load: async () => (await import("./commands/sweep.js")).sweepCommand,
  },
  {
    name: "report",
    summary: "write report.md and report.html (charts, tables) for a run or sweep folder",
    load: async () => (await import("./commands/report.js")).reportCommand,
  },
  {
    name: "diff",
    summary: "compare two models or trains: derived numbers and the config fields that differ",
    load: async () => (await import("./commands/diff.js")).diffCommand,
  },
  {
    name: "data",
    summary: "write the synthetic corpus (synth) or inspect a data mixture (inspect)",
    load: async () => (await import("./commands/data.js")).dataCommand,
  },
  {
    name: "fmt",
    summary: "format .mm files in the canonical layout (--check for CI)",
    load: async () => (await import("./commands/fmt.js")).fmtCommand,
  },
  {
    name: "lsp",
    summary: "run the language server (stdio), for editors",
    load: async () => (await import("./commands/lsp.js")).lspCommand,
  },
  {
    name: "explain",
    summary: "print the long-form explanation of a diagnostic code",
    load: async () => (await import("./commands/explain.js")).explainCommand,
  },
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
