// The command line of a generated train entry (`node train-tiny.js --steps 20 --backend wasm`):
// parses its few options, writes the synthetic corpus first when it is missing, runs, and maps
// user-facing failures to one clear line and exit status 1 (2 for bad usage, 130/143 for a
// run stopped by Ctrl-C or SIGTERM).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BackendError, type BackendChoice } from "../backend.js";
import { CheckpointError } from "../checkpoint/checkpoint.js";
import { MAX_WASM_THREADS } from "../threads.js";
import { DataError } from "../data/index.js";
import { addMissingInstructSplit, synthesize } from "../data-tools/index.js";
import { badPath, escapeControls, fsErrorLine, fsRunError, isFsError, showPath } from "./errors.js";
import { signalExitCode } from "./interrupt.js";
import { checkpointRunError } from "./resume.js";
import {
  RunError,
  runTraining,
  type RunConfig,
  type RunOptions,
  type RunSummary,
} from "./driver.js";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

export class RunUsageError extends Error {}

export function parseRunArgs(argv: readonly string[]): RunOptions {
  let backend: BackendChoice | undefined;
  let steps: number | undefined;
  let threads: number | undefined;
  let resume: string | boolean | undefined;
  let strict = false;
  let fresh = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new RunUsageError(`\`${flag}\` needs a value`);
      return v;
    };
    if (flag === "--backend") {
      const v = value();
      if (!(BACKENDS as readonly string[]).includes(v))
        throw new RunUsageError(
          `\`--backend\` must be one of ${BACKENDS.join(", ")}, not \`${v}\``,
        );
      backend = v as BackendChoice;
    } else if (flag === "--steps") {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1)
        throw new RunUsageError(`\`--steps\` must be a whole number of at least 1, not \`${v}\``);
      steps = Number(v);
    } else if (flag === "--threads") {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_WASM_THREADS)
        throw new RunUsageError(
          `\`--threads\` must be a whole number from 1 to ${MAX_WASM_THREADS}, not \`${v}\``,
        );
      threads = Number(v);
    } else if (flag === "--resume") {
      const next = inline ?? argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        resume = next;
        if (inline === undefined) i++;
      } else resume = true;
    } else if (flag === "--strict") strict = true;
    else if (flag === "--fresh") fresh = true;
    else
      throw new RunUsageError(
        `unknown option \`${escapeControls(a)}\` (options: --steps N, --backend NAME, --threads N, --resume [DIR], --fresh, --strict)`,
      );
  }
  if (fresh && resume !== undefined)
    throw new RunUsageError(
      "`--resume` continues the run in the folder and `--fresh` moves it aside: give one of them",
    );
  return {
    ...(backend ? { backend } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(resume !== undefined ? { resume } : {}),
    ...(strict ? { strict } : {}),
    ...(fresh ? { fresh } : {}),
  };
}

/** Writes the synthetic corpus to `config.synthesize` when it is not there yet; says so. */
export async function ensureSyntheticData(
  config: Pick<RunConfig, "synthesize">,
  say: (line: string) => void,
): Promise<void> {
  const dir = config.synthesize;
  if (dir === undefined) return;
  const bad = badPath(dir);
  if (bad !== undefined)
    throw new RunError(
      `the synthetic corpus folder \`${showPath(dir)}\` cannot be used: ${bad}; change \`synthesize\` in the spec`,
    );
  if (existsSync(join(dir, "synth.json"))) {
    // a corpus from before the instruction split: add the split, leave the rest as it is
    let added;
    try {
      added = await addMissingInstructSplit(dir);
    } catch (e) {
      if (isFsError(e))
        throw fsRunError(`cannot write the instruction split to \`${showPath(dir)}\``, e);
      throw e;
    }
    if (added > 0) say(`added the instruction split (${added} conversations) to ${showPath(dir)}`);
    return;
  }
  say(`the synthetic corpus is missing: writing it to ${showPath(dir)} (seed 0, size small) ...`);
  const t = performance.now();
  let r;
  try {
    r = await synthesize({ outDir: dir, seed: 0, size: "small" });
  } catch (e) {
    if (isFsError(e))
      throw fsRunError(`cannot write the synthetic corpus to \`${showPath(dir)}\``, e);
    throw e;
  }
  say(
    `wrote ${r.counts.captionPairs} caption pairs, ${r.counts.interleavedDocs} interleaved documents and ${r.counts.textLines} text lines in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}

/** Runs a train entry as a program; returns the exit status. */
export async function runMain(
  config: RunConfig,
  argv: readonly string[],
  extra: Partial<RunOptions> = {},
): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    const options = { ...parseRunArgs(argv), ...extra };
    await ensureSyntheticData(config, say);
    const summary: RunSummary = await runTraining(config, options);
    return summary.stopped === "aborted" ? signalExitCode(summary.signal) : 0;
  } catch (e) {
    if (e instanceof RunUsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    const user = userError(e);
    if (user !== undefined) {
      process.stderr.write(`error: ${user}\n`);
      return 1;
    }
    throw e;
  }
}

/** The one line for a failure that is the user's or the machine's; undefined for mmc's bugs. */
export function userError(e: unknown): string | undefined {
  // a DataError can also come from loading the held-out batches, before training starts
  if (e instanceof RunError || e instanceof BackendError || e instanceof DataError)
    return e.message;
  if (e instanceof CheckpointError) return checkpointRunError(e).message;
  return fsErrorLine(e);
}
