// The command line of a generated train entry (`node train-tiny.js --steps 20 --backend wasm`):
// parses its few options, writes the synthetic corpus first when it is missing, runs, and maps
// user-facing failures to one clear line and exit status 1 (2 for bad usage, 130/143 for a
// run stopped by Ctrl-C or SIGTERM).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../backend.js";
import { CheckpointError } from "../checkpoint/checkpoint.js";
import { parseRunFlags, RunFlagError, type RunFlags } from "../../spec/run-flags.js";
import { DataError } from "../data/index.js";
import { addMissingInstructSplit, synthesize } from "../data-tools/index.js";
import { badPath, fsErrorLine, fsRunError, isFsError, showPath } from "./errors.js";
import { signalExitCode } from "./interrupt.js";
import { checkpointRunError } from "./resume.js";
import {
  RunError,
  runTraining,
  type RunConfig,
  type RunOptions,
  type RunSummary,
} from "./driver.js";

export class RunUsageError extends Error {}

/** The entry's command line, parsed with the run flags table (src/spec/run-flags.ts). */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  try {
    return parseRunFlags(argv, "entry").run;
  } catch (e) {
    if (e instanceof RunFlagError) throw new RunUsageError(e.message);
    throw e;
  }
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

/** Runs a train entry as a program (its argv parsed with the run flags table); the exit status. */
export async function runMain(
  config: RunConfig,
  argv: readonly string[],
  extra: Partial<RunOptions> = {},
): Promise<number> {
  let flags: RunFlags;
  try {
    flags = parseRunArgs(argv);
  } catch (e) {
    if (e instanceof RunUsageError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return runWithFlags(config, { ...flags, ...extra });
}

/**
 * Runs a train with options already parsed (`mmc run` hands its parsed flags here, no argv):
 * writes a missing synthetic corpus, trains, and maps user problems to one line; the exit status.
 */
export async function runWithFlags(config: RunConfig, options: RunOptions): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
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
