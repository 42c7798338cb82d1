// `mmc lsp`: the language server over stdio (editors start it; see docs/vscode.md). The server
// itself is src/lsp/; this command gives it the disk, the clock and the installed stdlib, and
// loads it lazily so that the other commands never load the protocol packages.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import { parseArgs } from "../args.js";
import { fileHost, PACKAGE_ROOT, STDLIB_DIR } from "../host.js";
import type { Command } from "../commands.js";

/** Folders a workspace walk never enters (as `mmc fmt`), and its bounds. */
const SKIPPED = new Set(["node_modules", ".mmc", "data", "runs"]);
const MAX_FILES = 2000;
const MAX_DEPTH = 12;

export const lspCommand: Command = {
  name: "lsp",
  summary: "run the language server (stdio), for editors",
  usage: `usage: mmc lsp [--stdio]

Speaks the Language Server Protocol on standard input and output: diagnostics as you type,
hovers, go to definition, references, rename, outline, completion, inlay hints and formatting
for .mm files. Editors start it; the VS Code extension in grammar/ bundles it.
--stdio is accepted (and is the only transport); so is --clientProcessId=N, which editors pass.`,
  async run(argv) {
    parseArgs(argv, { values: ["clientProcessId"], switches: ["stdio", "no-color", "trace"] });
    await runLspServer();
    return 0;
  },
};

/** Starts the server on this process's stdin and stdout; the protocol ends the process. */
export async function runLspServer(): Promise<never> {
  // Standard output carries the protocol: anything logged goes to standard error instead.
  const toStderr = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  console.log = console.info = console.debug = toStderr;
  // A promise the server forgot to handle must not end the process the editor relies on.
  process.on("unhandledRejection", (e) => toStderr(`mmc lsp: unhandled rejection: ${String(e)}`));
  const [node, { serveLsp }] = await Promise.all([
    import("vscode-languageserver/node"),
    import("../../lsp/server.js"),
  ]);
  // A CommonJS package: its exports are the default export of the module namespace.
  const connection = node.default.createConnection(process.stdin, process.stdout);
  serveLsp(connection, {
    disk: fileHost,
    stdlibDir: STDLIB_DIR,
    errorPage: (code) => {
      if (!/^MM\d{4}$/.test(code)) return undefined;
      const file = join(PACKAGE_ROOT, "docs", "errors", `${code}.md`);
      return existsSync(file) ? pathToFileURL(file).href : undefined;
    },
    listMmFiles,
    readRunLog,
    now: () => performance.now(),
  });
  return new Promise<never>(() => {});
}

/**
 * The last `maxBytes` of a run's log under the spec's folder, for hovers: only a regular file
 * whose real path (symlinks followed) is inside the folder's real path; opened non-blocking so
 * a FIFO cannot hang the server; never throws.
 */
function readRunLog(specDir: string, relPath: string, maxBytes: number): string | undefined {
  let fd: number | undefined;
  try {
    const root = realpathSync(specDir);
    const real = realpathSync(join(specDir, relPath));
    const inside = relative(root, real);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) return undefined;
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const length = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, st.size - length + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString("utf8");
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined)
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to do
      }
  }
}

/** `.mm` files under a folder, skipping hidden and generated folders, bounded in count and depth. */
function listMmFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > MAX_DEPTH || out.length >= MAX_FILES) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (out.length >= MAX_FILES) return;
      if (e.name.startsWith(".") || SKIPPED.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith(".mm")) out.push(p);
    }
  };
  walk(folder, 0);
  return out;
}
