// `mmc compile FILE -o DIR`: check the spec and write the generated TypeScript (models, data
// wiring, one entry point per train). Also the shared steps of `mmc run`.
import { checkSpec } from "../load.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, posix, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import type { CheckedProgram } from "../../check/ir.js";
import type { GeneratedFile } from "../../codegen/emit.js";
import { tsLineComment, tsString } from "../../codegen/escape.js";
import type { SourceFile, Span } from "../../source/source-file.js";
import { choiceFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import { printDiagnostics, type Io } from "../output.js";

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

/** Checks a spec; prints its diagnostics; returns the IR, or an exit code on errors. */
export function checkForBuild(
  file: string,
  io: Io,
  format: "rich" | "short" | "json" = "rich",
): { checked: CheckedProgram; sources: ReadonlyMap<string, SourceFile> } | number {
  const result = checkSpec(file);
  printDiagnostics(io, result.diagnostics, result.sources, format);
  if (hasErrors(result.diagnostics) || !result.checked) return 1;
  return { checked: result.checked, sources: result.sources };
}

/** Generates the files for a checked program into `outDir` (as text; nothing written yet). */
export async function generate(
  checked: CheckedProgram,
  sources: ReadonlyMap<string, SourceFile>,
  file: string,
  outDir: string,
): Promise<GeneratedFile[]> {
  const { emitProgram } = await import("../../codegen/emit.js");
  // Only on Windows is `\` a separator; elsewhere it is part of a file name and must stay one.
  const toPosix = (p: string): string => (sep === "\\" ? p.split("\\").join("/") : p);
  const locate = (span: Span): string => {
    const src = sources.get(span.file);
    const line = src ? src.position(span.start).line : 0;
    return `${toPosix(span.file)}:${line}`;
  };
  return emitProgram(checked, {
    sourcePath: toPosix(file),
    outDir: toPosix(outDir),
    locate,
    version: packageVersion(),
  });
}

/**
 * Makes `mmc/runtime` importable from `outDir`. Where `mmc` is not resolvable from there, a
 * small `node_modules/mmc` package is written whose `runtime` re-exports this installation's
 * runtime (a stub, not a link back to the package: walking the folder never loops).
 */
export function linkRuntime(outDir: string): void {
  try {
    createRequire(join(resolve(outDir), "index.js")).resolve("mmc/package.json");
    return;
  } catch {
    // not resolvable: write the stub below
  }
  const dir = join(outDir, "node_modules", "mmc");
  mkdirSync(dir, { recursive: true });
  const runtime = pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href;
  const types = join(PACKAGE_ROOT, "dist", "runtime", "index.js").split("\\").join("/");
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "mmc", private: true, type: "module", exports: { "./runtime": { types: "./runtime.d.ts", default: "./runtime.js" }, "./package.json": "./package.json" } }, null, 2)}\n`,
  );
  writeFileSync(
    join(dir, "runtime.js"),
    `${tsLineComment(`Re-exports the mmc runtime installed at ${PACKAGE_ROOT}.`)}\nexport * from ${tsString(runtime)};\n`,
  );
  writeFileSync(join(dir, "runtime.d.ts"), `export * from ${tsString(types)};\n`);
}

export function writeFiles(outDir: string, files: readonly GeneratedFile[]): void {
  mkdirSync(outDir, { recursive: true });
  for (const f of files) writeFileSync(join(outDir, f.name), f.text);
}

export const compileCommand: Command = {
  name: "compile",
  summary: "write the generated TypeScript: models, data wiring and one entry point per train",
  usage: `usage: mmc compile FILE -o DIR [--format rich|short|json]

Writes DIR/models.ts, DIR/data.ts and DIR/train-NAME.ts for each \`train\`. The output is
deterministic. Run an entry with \`mmc run FILE\`, or compile it yourself and run it with node.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["out", "format"],
      switches: ["no-color", "trace"],
      aliases: { "-o": "out" },
    });
    const format = choiceFlag(args, "format", ["rich", "short", "json"] as const, "rich");
    const file = args.positionals[0];
    const out = args.values.get("out");
    if (!file || args.positionals.length > 1)
      throw new UsageError(
        "`mmc compile` needs one file, e.g. `mmc compile examples/tiny.mm -o out/tiny`",
      );
    if (!out)
      throw new UsageError("`mmc compile` needs `-o DIR`, the folder to write the TypeScript to");
    const checked = checkForBuild(file, io, format);
    if (typeof checked === "number") return checked;
    const files = await generate(checked.checked, checked.sources, file, out);
    writeFiles(out, files);
    linkRuntime(out);
    io.stdout(
      `wrote ${files.map((f) => posix.join(relative(".", out).split("\\").join("/") || ".", f.name)).join(", ")}\n`,
    );
    return 0;
  },
};
