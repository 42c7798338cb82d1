// The `mmc` command line: dispatches to the commands, maps outcomes to exit codes
// (0 ok, 1 errors in the input, 2 bad usage, 70 internal error) and never shows a raw stack
// trace unless `--trace` is given.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./args.js";
import { PACKAGE_ROOT } from "./host.js";
import { useColor, type Io } from "./output.js";
import { COMMANDS, commandUsage, suggestCommand } from "./commands.js";
import { fsErrorLine } from "../runtime/run/errors.js";
import { escapeControls } from "../diagnostics/terminal-text.js";

/** A message for the terminal: its lines kept, every other unsafe character escaped. */
function safeLines(text: string): string {
  return text.split("\n").map(escapeControls).join("\n");
}

export const EXIT = { ok: 0, inputErrors: 1, usage: 2, internal: 70 } as const;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

const HELP = `mmc — a compiler for multimodal language model specs (.mm)

usage: mmc <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`).join("\n")}

global options:
  --format rich|short|json   how to print diagnostics (default: rich)
  --no-color                 no colours (also: NO_COLOR=1)
  --trace                    show the stack trace of an internal error
  -h, --help                 help for mmc or a command
  --version                  print the version

Run \`mmc <command> --help\` for a command's options, and \`mmc explain MM2001\` for an error code.
`;

export async function main(argv: readonly string[]): Promise<number> {
  const trace = argv.includes("--trace");
  const noColor = argv.includes("--no-color");
  const io: Io = {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    colorStderr: useColor(process.stderr, noColor),
    colorStdout: useColor(process.stdout, noColor),
  };
  const [name, ...rest] = argv;
  try {
    // Fault injection for the test of the internal-error path (documented in docs/architecture.md).
    if (process.env["MMC_FAULT"] === "internal")
      throw new Error("injected fault (MMC_FAULT=internal)");
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined;
      const entry = topic ? COMMANDS.find((c) => c.name === topic) : undefined;
      const cmd = entry ? await entry.load() : undefined;
      io.stdout(cmd ? commandUsage(cmd) : HELP);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-V") {
      io.stdout(`mmc ${version()}\n`);
      return EXIT.ok;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) {
      const hint = suggestCommand(name);
      throw new UsageError(
        `unknown command \`${name}\`${hint ? `; did you mean \`${hint}\`?` : ""} (see \`mmc --help\`)`,
      );
    }
    const cmd = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout(commandUsage(cmd));
      return EXIT.ok;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(
        `${io.colorStderr ? "\x1b[1;31merror\x1b[0m" : "error"}: ${safeLines(e.message)}\n`,
      );
      return EXIT.usage;
    }
    // The file system refused (a file in the way, no space, no permission): the machine's
    // problem or the user's, never mmc's bug.
    const fsLine = fsErrorLine(e);
    if (fsLine !== undefined) {
      io.stderr(`${io.colorStderr ? "\x1b[1;31merror\x1b[0m" : "error"}: ${safeLines(fsLine)}\n`);
      return EXIT.inputErrors;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(
      `internal error: ${escapeControls(message.split("\n")[0] ?? "")}\n` +
        "this is a bug in mmc, not in your spec; please report it with the command you ran" +
        (trace ? "\n" : " (add --trace for details)\n"),
    );
    if (trace && e instanceof Error && e.stack) io.stderr(`${safeLines(e.stack)}\n`);
    return EXIT.internal;
  }
}
