// `mmc run FILE`: check, compile into FILE's folder under .mmc/, transpile the generated
// TypeScript to JavaScript and run the chosen train's entry point in this process, so what runs
// is exactly the generated code.
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { choiceFlag, intFlag, parseArgs, UsageError } from "../args.js";
import { TARGETS } from "../../codegen/pytorch/target.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import { trainFile } from "../../codegen/names.js";
import { MAX_WASM_THREADS } from "../../runtime/threads.js";
import { checkForBuild, generate, linkRuntime, writeFiles, writeJavaScript } from "./compile.js";
import { runPytorch } from "./run-pytorch.js";

export const runCommand: Command = {
  name: "run",
  summary: "compile and train: progress, metrics, checkpoints, exact resume",
  usage: `usage: mmc run FILE [--train NAME] [--steps N] [--backend auto|tensorflow|webgpu|wasm|cpu]
               [--threads N] [--resume [DIR] | --fresh] [--strict] [--target pytorch [--nproc N]]

Trains the file's only \`train\` (or the one named by --train). --steps overrides the number of
steps. --resume continues from the newest checkpoint in DIR that verifies (default: the train's
checkpoint folder) exactly where it stopped. A run without --resume refuses a folder that holds
a run already; --fresh moves that run's files to DIR.old-N (nothing is deleted) and starts
over. --threads sets the wasm backend's threads, 1 to ${MAX_WASM_THREADS} (default: MMC_THREADS,
else 2, or 1 on a single-core machine); the run's first lines show the backend, its threads and
the run folder. Ctrl-C or SIGTERM writes a checkpoint and stops cleanly (exit 130 or 143). If
the data block has \`synthesize: "DIR"\` and DIR holds no corpus yet, the synthetic corpus is
written there first.

With --target pytorch, compiles the PyTorch package (docs/pytorch.md) into .mmc/NAME-pytorch/ and
runs its train.py with the first Python that imports torch (MMC_PYTHON, /usr/bin/python3,
python3): one process, or --nproc N processes through torchrun (one per GPU; gloo on CPUs).`,
  async run(argv, io) {
    // `--resume` takes an optional folder: a bare `--resume` becomes `--resume=` (the train's own).
    const normalised = argv.map((a, i) =>
      a === "--resume" && (argv[i + 1] === undefined || argv[i + 1]!.startsWith("-"))
        ? "--resume="
        : a,
    );
    const args = parseArgs(normalised, {
      values: ["train", "steps", "backend", "threads", "resume", "format", "target", "nproc"],
      switches: ["strict", "fresh", "no-color", "trace"],
    });
    // `--resume` may be given without a folder: parseArgs needs a value, so accept a bare flag.
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1)
      throw new UsageError("`mmc run` needs one file, e.g. `mmc run examples/tiny.mm`");
    intFlag(args, "steps", 1);
    if ((intFlag(args, "threads", 1) ?? 1) > MAX_WASM_THREADS)
      throw new UsageError(`\`--threads\` must be at most ${MAX_WASM_THREADS}`);
    const target = choiceFlag(args, "target", TARGETS, "typescript");
    const nproc = intFlag(args, "nproc", 1);
    if (nproc !== undefined && target !== "pytorch")
      throw new UsageError("`--nproc` is for `--target pytorch` (torchrun's processes)");
    if (target === "pytorch")
      for (const flag of ["backend", "threads"] as const)
        if (args.values.has(flag))
          throw new UsageError(
            `\`--${flag}\` is for the TypeScript target, not \`--target pytorch\``,
          );
    const checked = checkForBuild(file, io, "rich", target);
    if (typeof checked === "number") return checked;
    const trains = checked.checked.trains;
    if (trains.length === 0) throw new UsageError(`\`${file}\` has no \`train\` to run`);
    const name = args.values.get("train");
    const train = name ? trains.find((t) => t.name === name) : trains[0];
    if (!train)
      throw new UsageError(
        `\`${file}\` has no \`train ${name}\` (it has ${trains.map((t) => `\`${t.name}\``).join(", ")})`,
      );
    if (!name && trains.length > 1)
      io.stderr(
        `note: running \`train ${train.name}\`, the first of ${trains.length}; choose another with --train\n`,
      );

    if (target === "pytorch") {
      const passThrough: string[] = [];
      const steps = args.values.get("steps");
      if (steps !== undefined) passThrough.push("--steps", steps);
      const resume = args.values.get("resume");
      if (resume !== undefined) passThrough.push("--resume", ...(resume === "" ? [] : [resume]));
      if (args.switches.has("strict")) passThrough.push("--strict");
      if (args.switches.has("fresh")) passThrough.push("--fresh");
      return runPytorch(checked, file, { train, nproc: nproc ?? 1, passThrough }, io);
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
    const runArgs: string[] = [];
    for (const flag of ["steps", "backend", "threads"] as const) {
      const v = args.values.get(flag);
      if (v !== undefined) runArgs.push(`--${flag}`, v);
    }
    const resume = args.values.get("resume");
    if (resume !== undefined) runArgs.push("--resume", ...(resume === "" ? [] : [resume]));
    if (args.switches.has("strict")) runArgs.push("--strict");
    if (args.switches.has("fresh")) runArgs.push("--fresh");
    return runtime.runMain(generated.config, runArgs);
  },
};
