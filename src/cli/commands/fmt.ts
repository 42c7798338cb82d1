// `mmc fmt FILE|DIR...`: rewrites `.mm` files in the canonical layout (atomically: a temporary
// file, then a rename), or with --check lists the files that would change; `-` and --stdout print.
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { escapeControls } from "../../diagnostics/terminal-text.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { formatSource } from "../../format/format.js";
import { diffHunks } from "../../format/diff.js";
import { SourceFile } from "../../source/source-file.js";
import { formatFlag, parseArgs, UsageError } from "../args.js";
import { invalidUtf8Offset } from "../host.js";
import { printDiagnostics, type DiagnosticFormat, type Io } from "../output.js";
import type { Command } from "../commands.js";

/** Folders a walk never enters: dependencies, generated code, data and training runs. */
const SKIPPED_FOLDERS = new Set(["node_modules", ".mmc", "data", "runs"]);

/** Lines of a would-be change that `--check` shows. */
const SHOWN_LINES = 12;

/** Specs are small text files; anything bigger is refused rather than read into memory. */
const MAX_BYTES = 16 * 1024 * 1024;

export const fmtCommand: Command = {
  name: "fmt",
  summary: "format .mm files in the canonical layout (--check for CI)",
  usage: `usage: mmc fmt FILE|DIR... [--check] [--format rich|short|json | --json]
       mmc fmt --stdout FILE    print the formatted file instead of rewriting it
       mmc fmt -                format standard input to standard output

Rewrites each file in place; a folder stands for every .mm file under it (skipping hidden
folders, node_modules, .mmc, data and runs). A file with syntax errors is left as it is and its
errors are printed. The layout is described in docs/language.md ("Formatting").

--check writes nothing: it lists the files that would change, each with its first change.

Exit status: 0 when every file is formatted, 1 when a file has syntax errors or, with --check,
would change.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["format"],
      switches: ["check", "stdout", "json", "no-color", "trace"],
    });
    const format = formatFlag(args);
    const check = args.switches.has("check");
    const paths = args.positionals;
    if (paths.length === 0)
      throw new UsageError("`mmc fmt` needs a file or folder, e.g. `mmc fmt examples`");
    if (paths.includes("-")) {
      if (paths.length > 1) throw new UsageError("`mmc fmt -` reads standard input only");
      const r = formatOne({ path: "<stdin>", bytes: readStdin() }, io, format, check, true);
      return r === CHANGED ? 1 : r;
    }
    const stdout = args.switches.has("stdout");
    if (stdout && (paths.length > 1 || statOf(paths[0]!).isDirectory()))
      throw new UsageError("`mmc fmt --stdout` prints one file: give exactly one");
    if (stdout && check) throw new UsageError("`--check` and `--stdout` cannot be combined");
    const files = [
      ...new Set(paths.flatMap((p) => (statOf(p).isDirectory() ? mmFilesUnder(p) : [p]))),
    ];
    let status = 0;
    const changed: string[] = [];
    for (const file of files) {
      const r = formatOne({ path: file, bytes: readSpec(file) }, io, format, check, stdout);
      if (r === CHANGED) changed.push(file);
      else status = Math.max(status, r);
    }
    if (check) {
      if (changed.length) {
        io.stdout(
          `${changed.length} of ${files.length} file${files.length === 1 ? "" : "s"} would be reformatted; run \`mmc fmt\` on ${changed.length === 1 ? "it" : "them"}\n`,
        );
        return 1;
      }
      if (status === 0)
        io.stdout(`${files.length} file${files.length === 1 ? " is" : "s are"} formatted\n`);
    }
    return status;
  },
};

/** formatOne's answer for a file that was, or with --check would be, rewritten. */
const CHANGED = -1;

function formatOne(
  input: { path: string; bytes: Buffer },
  io: Io,
  format: DiagnosticFormat,
  check: boolean,
  print: boolean,
): number {
  const { path, bytes } = input;
  const bad = invalidUtf8Offset(bytes);
  if (bad !== -1) {
    const source = new SourceFile(path, bytes.toString("utf8"));
    const at = bytes.subarray(0, bad).toString("utf8").length;
    report(io, [notUtf8(source, bad, at)], source, format);
    return 1;
  }
  const raw = bytes.toString("utf8");
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const result = formatSource(text, path);
  if (!result.ok) {
    report(io, result.diagnostics, result.source, format);
    return 1;
  }
  if (print && !check) {
    io.stdout(result.text);
    return 0;
  }
  if (result.text === raw) return 0;
  if (check) {
    io.stdout(`${escapeControls(path)}: not formatted\n${firstChange(raw, result.text)}`);
    return CHANGED;
  }
  try {
    writeAtomically(path, result.text);
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    io.stderr(
      `error: cannot write \`${escapeControls(path)}\` (${reason}); it is left as it was\n`,
    );
    return 1;
  }
  io.stdout(`${escapeControls(path)}: formatted\n`);
  return 0;
}

function report(
  io: Io,
  ds: readonly Diagnostic[],
  source: SourceFile,
  format: DiagnosticFormat,
): void {
  printDiagnostics(io, ds, new Map([[source.path, source]]), format);
}

/** The same diagnostic as the resolver's for an imported file that is not UTF-8. */
function notUtf8(source: SourceFile, byteOffset: number, charOffset: number): Diagnostic {
  return diagnostic({
    code: "MM1006",
    message: `\`${source.path}\` is not valid UTF-8 (bad byte at offset ${byteOffset})`,
    span: source.span(charOffset, charOffset + 1),
    label: "this byte is not UTF-8",
    help: "save the file as UTF-8; `.mm` files are UTF-8 text",
  });
}

/** The first hunk of the change, at most SHOWN_LINES lines, escaped for the terminal. */
function firstChange(before: string, after: string): string {
  const hunks = diffHunks(before, after);
  const first = hunks[0];
  if (!first) return "  (only line endings or a byte-order mark differ)\n";
  const shown = first.lines.slice(0, SHOWN_LINES).map((l) => `  ${escapeControls(l)}\n`);
  const more = first.lines.length - SHOWN_LINES;
  return (
    `  @@ -${first.oldStart},${first.oldLines} +${first.newStart},${first.newLines} @@\n` +
    shown.join("") +
    (more > 0 ? `  ... ${more} more line${more === 1 ? "" : "s"}\n` : "") +
    (hunks.length > 1
      ? `  ... and ${hunks.length - 1} more change${hunks.length === 2 ? "" : "s"}\n`
      : "")
  );
}

/**
 * Writes next to the real file (links are followed, so a link stays a link), with the file's
 * permissions, flushed to disk, then renamed over it: the file is never left half-written.
 */
function writeAtomically(path: string, text: string): void {
  const real = realpathSync(path);
  const mode = statSync(real).mode & 0o7777;
  const tmp = join(dirname(real), `.${basename(real)}.${randomBytes(6).toString("hex")}.mmc-fmt`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    try {
      writeSync(fd, text);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, real);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function statOf(path: string): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : "cannot be read";
    throw new UsageError(`\`${escapeControls(path)}\` ${what}`);
  }
  if (!stats.isFile() && !stats.isDirectory())
    throw new UsageError(`\`${escapeControls(path)}\` is not a file or a folder`);
  return stats;
}

function readSpec(path: string): Buffer {
  if (statOf(path).size > MAX_BYTES)
    throw new UsageError(`\`${escapeControls(path)}\` is larger than 16 MiB, too big for a spec`);
  try {
    return readFileSync(path);
  } catch {
    throw new UsageError(`\`${escapeControls(path)}\` cannot be read`);
  }
}

function readStdin(): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(1 << 16);
  for (let total = 0; ;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") continue;
      if (code === "EOF") break;
      throw new UsageError(`standard input cannot be read (${code ?? String(e)})`);
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_BYTES)
      throw new UsageError("standard input is larger than 16 MiB, too big for a spec");
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** `.mm` files under a folder, sorted, never following links or entering skipped folders. */
function mmFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      throw new UsageError(`the folder \`${escapeControls(d)}\` cannot be read`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if (!e.name.startsWith(".") && !SKIPPED_FOLDERS.has(e.name)) walk(full);
      } else if (e.isFile() && e.name.endsWith(".mm")) out.push(full);
    }
  };
  walk(dir);
  return out;
}
