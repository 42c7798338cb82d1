// `mmc run FILE --target pytorch [--nproc N]`: compile the PyTorch package into FILE's folder
// under .mmc/, find a Python that imports torch, and launch train.py: directly for one process,
// through torchrun (`python -m torch.distributed.run --standalone`) for several.
import { spawn, spawnSync } from "node:child_process";
import { basename, dirname, join } from "node:path";
import type { CheckedProgram, CheckedTrain } from "../../check/ir.js";
import type { SourceFile } from "../../source/source-file.js";
import type { Io } from "../output.js";
import { RunError } from "../../runtime/run/errors.js";
import { generatePytorch, writeFiles } from "./compile.js";

/** What the probe learns of a Python: torch's version, and whether its torchrun needs help. */
interface TorchPython {
  readonly python: string;
  readonly version: string;
  /** torch 1.13 on Python 3.11 cannot parse `--redirects 0` (enum change): pass 2 instead. */
  readonly brokenStdFlags: boolean;
}

const PROBE = [
  "import torch",
  "from torch.distributed.elastic.multiprocessing.api import Std",
  'print(torch.__version__, Std.from_str("0") is None)',
].join("\n");

/** MMC_PYTHON, else /usr/bin/python3, else python3 on the PATH: the first that imports torch. */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): TorchPython | string {
  const given = env["MMC_PYTHON"];
  const candidates =
    given !== undefined && given !== "" ? [given] : ["/usr/bin/python3", "python3"];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", PROBE], { encoding: "utf8", timeout: 120_000 });
    const out = (r.stdout ?? "").trim().split(/\s+/);
    if (r.status === 0 && out.length === 2)
      return { python, version: out[0]!, brokenStdFlags: out[1] === "True" };
    tried.push(r.error ? `${python} (not found)` : `${python} (no torch)`);
  }
  const how =
    given !== undefined && given !== ""
      ? "set MMC_PYTHON to a Python that can `import torch`"
      : "install PyTorch (Debian: `apt-get install python3-torch`; else `pip install torch`) or set MMC_PYTHON to a Python that has it";
  return `no Python with torch found (tried ${tried.join(", ")}): ${how}`;
}

export interface PytorchRunArgs {
  readonly train: CheckedTrain;
  readonly nproc: number;
  readonly passThrough: readonly string[];
}

/** The command line that runs train.py (one process, or torchrun for several). */
export function launchArgs(found: TorchPython, entry: string, run: PytorchRunArgs): string[] {
  const train = [entry, "--train", run.train.name, ...run.passThrough];
  if (run.nproc === 1) return train;
  const std = found.brokenStdFlags
    ? ["--redirects", "2", "--tee", "2", "--log_dir", join(dirname(entry), "torchrun-logs")]
    : [];
  return [
    "-m",
    "torch.distributed.run",
    "--standalone",
    "--nproc_per_node",
    String(run.nproc),
    ...std,
    ...train,
  ];
}

export async function runPytorch(
  checked: { checked: CheckedProgram; sources: ReadonlyMap<string, SourceFile> },
  file: string,
  run: PytorchRunArgs,
  io: Io,
): Promise<number> {
  const found = findTorchPython();
  if (typeof found === "string") {
    io.stderr(`error: ${found}\n`);
    return 1;
  }
  try {
    // As the TypeScript target's run does: the synthetic corpus first, where the spec asks.
    // Loaded on demand: the runtime's run module pulls in TensorFlow.js and the image decoders,
    // which `mmc check` and the other light commands must not load (test/cli/cli.test.ts).
    const { ensureSyntheticData } = await import("../../runtime/run/main.js");
    const synth = run.train.data.synthesize;
    await ensureSyntheticData(synth === undefined ? {} : { synthesize: synth }, (line) =>
      io.stdout(`${line}\n`),
    );
  } catch (e) {
    if (!(e instanceof RunError)) throw e;
    io.stderr(`error: ${e.message}\n`);
    return 1;
  }
  const outDir = join(dirname(file), ".mmc", `${basename(file).replace(/\.mm$/, "")}-pytorch`);
  writeFiles(outDir, await generatePytorch(checked.checked, checked.sources, file, outDir));
  const args = launchArgs(found, join(outDir, "train.py"), run);
  const child = spawn(found.python, args, { stdio: "inherit" });
  // Ctrl-C reaches the whole process group; a SIGTERM sent to mmc alone is passed on.
  const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
  const wait = (): void => undefined; // the child checkpoints and exits; mmc waits for it
  process.on("SIGTERM", forward);
  process.on("SIGINT", wait);
  try {
    return await new Promise<number>((done) => {
      child.on("error", (e) => {
        io.stderr(`error: cannot start ${found.python}: ${e.message}\n`);
        done(1);
      });
      child.on("exit", (code, signal) =>
        done(code ?? (signal === "SIGTERM" ? 143 : signal === "SIGINT" ? 130 : 1)),
      );
    });
  } finally {
    process.off("SIGTERM", forward);
    process.off("SIGINT", wait);
  }
}
