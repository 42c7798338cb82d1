// `mmc run FILE`: check, compile into FILE's folder under .mmc/, transpile the generated
// TypeScript to JavaScript and run the chosen train's entry point in this process, so what runs
// is exactly the generated code. Its flags are the run flags table (src/spec/run-flags.ts): the
// same parser as a generated entry's, and the parsed object goes to the runtime (no argv).
// `--dry-run` says what would run, where, and its derived numbers, and writes nothing.
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../args.js";
import { formatCount, humanBytes } from "../../check/budget.js";
import type { CheckedTrain } from "../../check/ir.js";
import { TARGETS } from "../../codegen/pytorch/target.js";
import { escapeControls, escapeJsonText } from "../../diagnostics/terminal-text.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import { defaultNumber } from "../../spec/fields.js";
import { CHECKPOINT_SETTINGS } from "../../spec/settings.js";
import { trainFile } from "../../codegen/names.js";
import {
  parseRunFlags,
  runFlagsHelp,
  runFolder,
  RunFlagError,
  type ParsedRunFlags,
  type RunFlags,
} from "../../spec/run-flags.js";
import { checkForBuild, generate, linkRuntime, writeFiles, writeJavaScript } from "./compile.js";
import { runPytorch } from "./run-pytorch.js";

// The table and the PyTorch target's list must name the same targets.
const TARGET_LIST: readonly string[] = TARGETS;

export const runCommand: Command = {
  name: "run",
  summary: "compile and train: progress, metrics, checkpoints, exact resume",
  usage: `usage: mmc run FILE [options]

Trains the file's only \`train\` (or the one named by --train). A run without --resume refuses a
folder that holds a run already. The run's first lines show the backend, its threads and the run
folder. Ctrl-C or SIGTERM writes a checkpoint and stops cleanly (exit 130 or 143). If the data
block has \`synthesize: "DIR"\` and DIR holds no corpus yet, the synthetic corpus is written there
first. With --target pytorch, compiles the PyTorch package (docs/pytorch.md) into .mmc/NAME-pytorch/
and runs its train.py with the first Python that imports torch (MMC_PYTHON, /usr/bin/python3,
python3).

Options (a generated entry, \`node .mmc/NAME/train-T.js\`, takes the same run options):
${runFlagsHelp("mmc")}`,
  async run(argv, io) {
    let parsed: ParsedRunFlags;
    try {
      parsed = parseRunFlags(argv, "mmc");
    } catch (e) {
      if (e instanceof RunFlagError) throw new UsageError(e.message);
      throw e;
    }
    const { run: flags, mmc, positionals, given } = parsed;
    const file = positionals[0];
    if (!file || positionals.length > 1)
      throw new UsageError("`mmc run` needs one file, e.g. `mmc run examples/tiny.mm`");
    const target = mmc.target ?? "typescript";
    if (!TARGET_LIST.includes(target))
      throw new UsageError(`internal: the run flags name a target \`${target}\` mmc lacks`);
    if (mmc.nproc !== undefined && target !== "pytorch")
      throw new UsageError("`--nproc` is for `--target pytorch` (torchrun's processes)");
    if (target === "pytorch")
      for (const flag of ["backend", "threads"] as const)
        if (given.has(flag))
          throw new UsageError(
            `\`--${flag}\` is for the TypeScript target, not \`--target pytorch\``,
          );
    if (mmc.json && !mmc.dryRun)
      throw new UsageError("`--json` is for `--dry-run` (a run prints its progress as lines)");
    const checked = checkForBuild(file, io, mmc.format ?? "rich", target);
    if (typeof checked === "number") return checked;
    const trains = checked.checked.trains;
    if (trains.length === 0) throw new UsageError(`\`${file}\` has no \`train\` to run`);
    const name = mmc.train;
    const train = name ? trains.find((t) => t.name === name) : trains[0];
    if (!train)
      throw new UsageError(
        `\`${file}\` has no \`train ${name}\` (it has ${trains.map((t) => `\`${t.name}\``).join(", ")})`,
      );
    if (!name && trains.length > 1)
      io.stderr(
        `note: running \`train ${train.name}\`, the first of ${trains.length}; choose another with --train\n`,
      );
    if (mmc.dryRun) {
      const plan = dryRun(file, train, flags, target);
      io.stdout(mmc.json ? `${escapeJsonText(JSON.stringify(plan, null, 2))}\n` : dryRunText(plan));
      return 0;
    }

    if (target === "pytorch") {
      // train.py is another process: its flags go on its command line
      const passThrough: string[] = [];
      if (flags.steps !== undefined) passThrough.push("--steps", String(flags.steps));
      if (flags.runDir !== undefined) passThrough.push("--run-dir", flags.runDir);
      if (flags.resume !== undefined)
        passThrough.push("--resume", ...(typeof flags.resume === "string" ? [flags.resume] : []));
      if (flags.strict) passThrough.push("--strict");
      if (flags.fresh) passThrough.push("--fresh");
      return runPytorch(checked, file, { train, nproc: mmc.nproc ?? 1, passThrough }, io);
    }
    const outDir = join(dirname(file), ".mmc", basename(file).replace(/\.mm$/, ""));
    const files = await generate(checked.checked, checked.sources, file, outDir);
    writeFiles(outDir, files);
    const linkProblem = linkRuntime(outDir);
    if (linkProblem !== undefined) {
      io.stderr(`error: ${linkProblem}\n`);
      return 1;
    }
    await writeJavaScript(outDir, files);
    const entry = join(outDir, trainFile(train).replace(/\.ts$/, ".js"));
    const runtime = (await import(
      pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href
    )) as typeof import("../../runtime/index.js");
    const generated = (await import(pathToFileURL(entry).href)) as {
      config: import("../../runtime/index.js").RunConfig;
    };
    return runtime.runWithFlags(generated.config, flags);
  },
};

/** What `mmc run --dry-run` reports: the run, its folder and its derived numbers. */
export interface DryRun {
  readonly train: string;
  readonly source: string;
  readonly model: string;
  readonly data: string;
  readonly target: string;
  /** The backend asked for (`auto`: the first of tensorflow, webgpu, wasm, cpu that loads). */
  readonly backend: string;
  readonly threads?: number;
  readonly runFolder: string;
  /** Whether the folder exists now (a run without --resume or --fresh refuses one holding a run). */
  readonly runFolderExists: boolean;
  readonly checkpoint: { readonly every: number; readonly keep: number } | null;
  readonly resume: string | boolean;
  readonly fresh: boolean;
  readonly params: number;
  readonly trainable: number;
  readonly steps: number;
  readonly batch: number;
  readonly sequence: number;
  readonly tokensPerStep: number;
  readonly tokens: number;
  readonly imageTokens: number;
  readonly memory: {
    readonly precision: string;
    readonly weights: number;
    readonly gradients: number;
    readonly optimizer: number;
    readonly activations: number;
    readonly total: number;
  };
}

/** The run `mmc run` would start, from the checked train and the flags; reads nothing but `exists`. */
export function dryRun(file: string, t: CheckedTrain, flags: RunFlags, target: string): DryRun {
  const specDir = dirname(file);
  // as the generated entry has them: the checkpoint folder and `runs/<train>` beside the spec
  const folder = runFolder(
    {
      name: t.name,
      ...(t.checkpoint ? { checkpoint: { dir: join(specDir, t.checkpoint.dir) } } : {}),
      runDir: join(specDir, "runs", t.name),
    },
    flags,
  );
  const steps = flags.steps ?? t.steps;
  const m = t.memory;
  const checkpoint = t.checkpoint
    ? { every: t.checkpoint.every, keep: t.checkpoint.keep }
    : typeof flags.resume === "string"
      ? { every: steps, keep: defaultNumber(CHECKPOINT_SETTINGS, "keep") }
      : null;
  return {
    train: t.name,
    source: file,
    model: t.model.name,
    data: t.data.name,
    target,
    backend: target === "pytorch" ? "torch" : (flags.backend ?? "auto"),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    runFolder: folder,
    runFolderExists: existsSync(folder),
    checkpoint,
    resume: flags.resume ?? false,
    fresh: flags.fresh === true,
    params: t.model.summary.params,
    trainable: t.freeze?.trainable ?? t.model.summary.params,
    steps,
    batch: t.batch,
    sequence: t.sequence,
    tokensPerStep: t.batch * t.sequence,
    tokens: steps * t.batch * t.sequence,
    imageTokens: t.model.summary.imageTokens,
    memory: {
      precision: m.precision,
      weights: m.weights,
      gradients: m.gradients,
      optimizer: m.optimizer,
      activations: m.activations,
      total: m.total,
    },
  };
}

export function dryRunText(d: DryRun): string {
  const show = (s: string) => escapeControls(s);
  const rows: [string, string][] = [
    [
      "run",
      `\`train ${show(d.train)}\` of ${show(d.source)}: \`model ${show(d.model)}\` on \`data ${show(d.data)}\``,
    ],
    [
      "target",
      d.target === "typescript"
        ? `typescript, backend ${d.backend === "auto" ? "auto (the first of tensorflow, webgpu, wasm, cpu that loads)" : d.backend}${d.threads !== undefined ? `, ${d.threads} wasm threads` : ""}`
        : "pytorch (train.py)",
    ],
    [
      "run folder",
      `${show(d.runFolder)} (${d.runFolderExists ? "exists" : "not created yet"}; ${d.checkpoint ? `a checkpoint every ${d.checkpoint.every} steps, the newest ${d.checkpoint.keep} kept` : "no checkpoints"})`,
    ],
    [
      "start",
      d.resume !== false
        ? `resume from the newest checkpoint in ${typeof d.resume === "string" ? show(d.resume) : "the run folder"}`
        : d.fresh
          ? "fresh: a run already in the folder is moved aside"
          : "a new run (refused if the folder holds one)",
    ],
    [
      "params",
      `${formatCount(d.params)}${d.trainable !== d.params ? ` (${formatCount(d.trainable)} trainable)` : ""}`,
    ],
    ["steps", formatCount(d.steps)],
    ["tokens/step", `${d.batch} x ${formatCount(d.sequence)} = ${formatCount(d.tokensPerStep)}`],
    ["tokens", formatCount(d.tokens)],
    [
      "train memory",
      `${humanBytes(d.memory.total)} (${d.memory.precision}: weights ${humanBytes(d.memory.weights)} + gradients ${humanBytes(d.memory.gradients)} + AdamW ${humanBytes(d.memory.optimizer)} + activations ${humanBytes(d.memory.activations)})`,
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return (
    rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") +
    "\ndry run: nothing was trained and nothing was written\n"
  );
}
