// Shared by the commands that run a train's generated code (`mmc generate`, `mmc eval`): check
// the spec, pick the train (by `--train`, or by `--model` when one train uses that model),
// compile it into FILE's folder under .mmc/ as `mmc run` does, and import its config and the
// installed runtime, so what runs is the same generated code training ran.
import { writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../args.js";
import { PACKAGE_ROOT } from "../host.js";
import type { Io } from "../output.js";
import { trainFile } from "../../codegen/names.js";
import type { CheckedTrain } from "../../check/ir.js";
import { checkForBuild, generate, linkRuntime, writeFiles } from "./compile.js";

export type Runtime = typeof import("../../runtime/index.js");

export interface TrainEntry {
  readonly train: CheckedTrain;
  readonly config: import("../../runtime/index.js").RunConfig;
  readonly runtime: Runtime;
}

function pickTrain(
  file: string,
  trains: readonly CheckedTrain[],
  name: string | undefined,
  model: string | undefined,
  io: Io,
): CheckedTrain {
  const list = trains.map((t) => `\`${t.name}\``).join(", ");
  if (trains.length === 0)
    throw new UsageError(`\`${file}\` has no \`train\` to take a model from`);
  if (name !== undefined && model !== undefined)
    throw new UsageError("give `--train` or `--model`, not both");
  if (name !== undefined) {
    const t = trains.find((x) => x.name === name);
    if (!t) throw new UsageError(`\`${file}\` has no \`train ${name}\` (it has ${list})`);
    return t;
  }
  if (model !== undefined) {
    // the tokenizer and image settings come from a train's data, so a model is found by its train
    const using = trains.filter((t) => t.model.name === model);
    if (using.length === 0)
      throw new UsageError(
        `no \`train\` in \`${file}\` uses \`model ${model}\`; name one with --train (trains: ${list})`,
      );
    if (using.length > 1)
      io.stderr(
        `note: \`model ${model}\` is used by ${using.length} trains; using \`train ${using[0]!.name}\` (choose with --train)\n`,
      );
    return using[0]!;
  }
  if (trains.length > 1)
    io.stderr(
      `note: using \`train ${trains[0]!.name}\`, the first of ${trains.length}; choose another with --train\n`,
    );
  return trains[0]!;
}

/** The chosen train's compiled entry; a number is the exit status of a spec that did not check. */
export async function loadTrainEntry(
  file: string,
  name: string | undefined,
  model: string | undefined,
  io: Io,
): Promise<TrainEntry | number> {
  const checked = checkForBuild(file, io);
  if (typeof checked === "number") return checked;
  const train = pickTrain(file, checked.checked.trains, name, model, io);
  const outDir = join(dirname(file), ".mmc", basename(file).replace(/\.mm$/, ""));
  const files = await generate(checked.checked, checked.sources, file, outDir);
  writeFiles(outDir, files);
  linkRuntime(outDir);
  const { ts } = await import("ts-morph");
  for (const f of files.filter((g) => g.name.endsWith(".ts"))) {
    const js = ts.transpileModule(f.text, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      fileName: f.name,
    }).outputText;
    writeFileSync(join(outDir, f.name.replace(/\.ts$/, ".js")), js);
  }
  const entry = join(outDir, trainFile(train).replace(/\.ts$/, ".js"));
  const runtime = (await import(
    pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href
  )) as Runtime;
  const generated = (await import(pathToFileURL(entry).href)) as {
    config: TrainEntry["config"];
  };
  return { train, config: generated.config, runtime };
}
