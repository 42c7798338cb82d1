// `mmc compile FILE -o DIR [--target typescript|pytorch]`: check the spec and write the generated
// TypeScript (models, data wiring, one entry point per train) or the PyTorch package. Also the
// shared steps of `mmc run`.
import { checkSpec } from "../load.js";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import type { CheckedProgram } from "../../check/ir.js";
import type { EmitOptions, GeneratedFile } from "../../codegen/emit.js";
import { checkTarget, TARGETS, type Target } from "../../codegen/pytorch/target.js";
import { tsLineComment, tsString } from "../../codegen/escape.js";
import type { SourceFile, Span } from "../../source/source-file.js";
import { choiceFlag, formatFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import { printDiagnostics, type Io } from "../output.js";
import { escapeControls } from "../../diagnostics/terminal-text.js";
import { readPythonSources } from "../python-sources.js";

export function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: string })
        .version ?? "0.0.0"
    );
  } catch {
    return "0.0.0";
  }
}

/**
 * Checks a spec, and what `target` cannot run of it; prints the diagnostics once; returns the
 * IR, or an exit code on errors.
 */
export function checkForBuild(
  file: string,
  io: Io,
  format: "rich" | "short" | "json" = "rich",
  target: Target = "typescript",
): { checked: CheckedProgram; sources: ReadonlyMap<string, SourceFile> } | number {
  const result = checkSpec(file);
  const diagnostics =
    hasErrors(result.diagnostics) || !result.checked
      ? result.diagnostics
      : [...result.diagnostics, ...checkTarget(result.checked, target)];
  printDiagnostics(io, diagnostics, result.sources, format);
  if (hasErrors(diagnostics) || !result.checked) return 1;
  return { checked: result.checked, sources: result.sources };
}

/** The emitters' options: paths as the user gave them (POSIX), spans as `file:line`. */
export function emitOptions(
  sources: ReadonlyMap<string, SourceFile>,
  file: string,
  outDir: string,
): EmitOptions {
  // Only on Windows is `\` a separator; elsewhere it is part of a file name and must stay one.
  const toPosix = (p: string): string => (sep === "\\" ? p.split("\\").join("/") : p);
  const locate = (span: Span): string => {
    const src = sources.get(span.file);
    const line = src ? src.position(span.start).line : 0;
    return `${toPosix(span.file)}:${line}`;
  };
  return { sourcePath: toPosix(file), outDir: toPosix(outDir), locate, version: packageVersion() };
}

/** Generates the files for a checked program into `outDir` (as text; nothing written yet). */
export async function generate(
  checked: CheckedProgram,
  sources: ReadonlyMap<string, SourceFile>,
  file: string,
  outDir: string,
): Promise<GeneratedFile[]> {
  const { emitProgram } = await import("../../codegen/emit.js");
  return emitProgram(checked, emitOptions(sources, file, outDir));
}

/** The PyTorch package for a checked program (as text; nothing written yet). */
export async function generatePytorch(
  checked: CheckedProgram,
  sources: ReadonlyMap<string, SourceFile>,
  file: string,
  outDir: string,
): Promise<GeneratedFile[]> {
  const { emitPytorch } = await import("../../codegen/pytorch/emit.js");
  return emitPytorch(checked, emitOptions(sources, file, outDir), readPythonSources());
}

/** Marks the `node_modules/mmc` package `linkRuntime` writes, so that it is known for a stub. */
const STUB_MARK = "runtime re-export written by mmc compile";
/** How the stub's `runtime.js` begins (also in stubs written before the mark existed). */
const STUB_COMMENT = "// Re-exports the mmc runtime installed at ";

/** The folder of the `mmc` package that `import "mmc/..."` finds from `dir`, if any. */
function resolvedMmc(dir: string): string | undefined {
  try {
    return dirname(createRequire(join(resolve(dir), "index.js")).resolve("mmc/package.json"));
  } catch {
    return undefined;
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Whether `dir` is a stub written by `linkRuntime` (by this or another installation). */
function isStub(dir: string): boolean {
  try {
    if (!lstatSync(dir).isDirectory()) return false;
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<
      string,
      unknown
    >;
    if (pkg["name"] !== "mmc" || pkg["private"] !== true || "version" in pkg) return false;
    if (pkg["mmcStub"] === STUB_MARK) return true;
    return readFileSync(join(dir, "runtime.js"), "utf8").startsWith(STUB_COMMENT);
  } catch {
    return false;
  }
}

/** Writes `path` unless it already holds exactly `text` (a re-run leaves the stub untouched). */
function writeIfChanged(path: string, text: string): void {
  try {
    if (readFileSync(path, "utf8") === text) return;
  } catch {
    // missing or unreadable: write it
  }
  writeFileSync(path, text);
}

/**
 * Makes `mmc/runtime` importable from `outDir` as this installation's runtime. Where `mmc`
 * resolves from there to this installation, nothing is written. Otherwise a small
 * `node_modules/mmc` package is written whose `runtime` re-exports this installation's runtime
 * (a stub, not a link back to the package: walking the folder never loops). A stub left by
 * another installation is rewritten: loading its runtime beside this one's gave a run two
 * TensorFlow.js runtimes. A real package there that is not this installation is never
 * overwritten. Returns why the runtime cannot be linked, or undefined when it is.
 */
export function linkRuntime(outDir: string): string | undefined {
  const self = realOrSelf(PACKAGE_ROOT);
  const found = resolvedMmc(outDir);
  if (found !== undefined && realOrSelf(found) === self) return undefined;
  const dir = join(outDir, "node_modules", "mmc");
  if (existsSync(dir) || isSymlink(dir)) {
    if (!isStub(dir))
      return `\`${escapeControls(dir)}\` holds an mmc package that is not this installation's (${escapeControls(self)}), so generated code there would load another runtime beside this one; remove it, or choose another output folder`;
  }
  mkdirSync(dir, { recursive: true });
  const runtime = pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href;
  const types = join(PACKAGE_ROOT, "dist", "runtime", "index.js").split("\\").join("/");
  const pkg = {
    name: "mmc",
    private: true,
    mmcStub: STUB_MARK,
    type: "module",
    exports: {
      "./runtime": { types: "./runtime.d.ts", default: "./runtime.js" },
      "./package.json": "./package.json",
    },
  };
  writeIfChanged(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeIfChanged(
    join(dir, "runtime.js"),
    `${tsLineComment(`${STUB_COMMENT.slice(3)}${PACKAGE_ROOT}.`)}\nexport * from ${tsString(runtime)};\n`,
  );
  writeIfChanged(join(dir, "runtime.d.ts"), `export * from ${tsString(types)};\n`);
  // A package the output folder lies in, named `mmc`, is found before any node_modules (Node
  // resolves a package's own name first): then the stub is not what generated code loads.
  const now = resolvedMmc(outDir);
  if (now === undefined || realOrSelf(now) !== realOrSelf(dir))
    return `generated code in \`${escapeControls(outDir)}\` would load the mmc package at \`${escapeControls(now ?? "(none)")}\`, not this installation's runtime; choose an output folder outside that package`;
  return undefined;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export function writeFiles(outDir: string, files: readonly GeneratedFile[]): void {
  mkdirSync(outDir, { recursive: true });
  for (const f of files) writeFileSync(join(outDir, f.name), f.text);
}

/** Transpiles the generated TypeScript to JavaScript beside it (what `mmc run` and `mmc sweep` load). */
export async function writeJavaScript(
  outDir: string,
  files: readonly GeneratedFile[],
): Promise<void> {
  const { ts } = await import("ts-morph");
  for (const f of files.filter((g) => g.name.endsWith(".ts"))) {
    const js = ts.transpileModule(f.text, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: f.name,
    }).outputText;
    writeFileSync(join(outDir, f.name.replace(/\.ts$/, ".js")), js);
  }
}

export const compileCommand: Command = {
  name: "compile",
  summary: "write the generated TypeScript (or, with --target pytorch, the PyTorch package)",
  usage: `usage: mmc compile FILE -o DIR [--target typescript|pytorch] [--format rich|short|json | --json]

Writes DIR/models.ts, DIR/data.ts and DIR/train-NAME.ts for each \`train\`. Run an entry
with \`mmc run FILE\`, or compile it yourself and run it with node.

With --target pytorch, writes DIR/model.py: a module per component kind the spec uses and every
model and preset of the spec (\`python DIR/model.py --params\` prints their parameter counts),
and the data pipeline beside it (data.py, data_read.py, data_files.py, data_image.py).
A spec feature the target cannot run is an error. The output is deterministic.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["out", "format", "target"],
      switches: ["json", "no-color", "trace"],
      aliases: { "-o": "out" },
    });
    const format = formatFlag(args);
    const target = choiceFlag(args, "target", TARGETS, "typescript");
    const file = args.positionals[0];
    const out = args.values.get("out");
    if (!file || args.positionals.length > 1)
      throw new UsageError(
        "`mmc compile` needs one file, e.g. `mmc compile examples/tiny.mm -o out/tiny`",
      );
    if (!out) throw new UsageError("`mmc compile` needs `-o DIR`, the folder to write the code to");
    const checked = checkForBuild(file, io, format, target);
    if (typeof checked === "number") return checked;
    const files =
      target === "pytorch"
        ? await generatePytorch(checked.checked, checked.sources, file, out)
        : await generate(checked.checked, checked.sources, file, out);
    writeFiles(out, files);
    const linkProblem = target === "typescript" ? linkRuntime(out) : undefined;
    if (linkProblem !== undefined) {
      io.stderr(`error: ${linkProblem}\n`);
      return 1;
    }
    io.stdout(
      `wrote ${files.map((f) => posix.join(relative(".", out).split("\\").join("/") || ".", f.name)).join(", ")}\n`,
    );
    return 0;
  },
};
