// The run folder (checkpoints and metrics.jsonl): a run that does not resume never writes into a
// folder that holds another run; `--fresh` moves that run's files to a sibling `<dir>.old-N`
// (never deleting); one run at a time writes there (run-lock.ts); and the folder is proved
// writable before the first step, not after it.
import { mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { LEGACY_CHECKPOINT_FILE, POINTER_FILE } from "../checkpoint/store.js";
import { badPath, fsRunError, isFsError, RunError, showPath } from "./errors.js";
import { checkUnlocked, takeLock } from "./run-lock.js";

export const METRICS_FILE = "metrics.jsonl";

/** A file a run writes: checkpoints, the pointer, the metrics log, damaged and temp files. */
function isRunFile(name: string): boolean {
  return (
    /^step-\d+\.safetensors(\.damaged(-\d+)?)?$/.test(name) ||
    name === POINTER_FILE ||
    name === LEGACY_CHECKPOINT_FILE ||
    name === METRICS_FILE ||
    /^(step-\d+\.safetensors|latest\.json|latest\.safetensors)\.tmp-\d+$/.test(name)
  );
}

/** The run files in `dir` (none when it does not exist). */
async function runFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter(isRunFile).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    if (isFsError(e)) throw fsRunError(`cannot read the run folder \`${showPath(dir)}\``, e);
    throw e;
  }
}

/** "3 checkpoints (up to step 60) and metrics.jsonl": what a run folder holds, for messages. */
function describeRun(files: readonly string[]): string {
  const steps = files
    .map((f) => /^step-(\d+)\.safetensors$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number);
  const parts: string[] = [];
  if (steps.length > 0)
    parts.push(
      `${steps.length} checkpoint${steps.length === 1 ? "" : "s"} (up to step ${Math.max(...steps)})`,
    );
  if (files.includes(LEGACY_CHECKPOINT_FILE))
    parts.push(`a checkpoint (\`${LEGACY_CHECKPOINT_FILE}\`)`);
  if (files.includes(METRICS_FILE)) parts.push(`\`${METRICS_FILE}\``);
  return parts.length > 0 ? parts.join(" and ") : files.map((f) => `\`${f}\``).join(", ");
}

/** The first `<dir>.old-N` that does not exist yet, created (so two runs cannot both take it). */
async function claimAside(dir: string): Promise<string> {
  for (let n = 1; ; n++) {
    const aside = join(dirname(dir), `${basename(dir)}.old-${n}`);
    try {
      await mkdir(aside);
      return aside;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

/** Refuses a run folder path that no file system accepts (before anything touches it). */
export function checkRunPath(dir: string): void {
  const bad = badPath(dir);
  if (bad !== undefined)
    throw new RunError(
      `the run folder \`${showPath(dir)}\` cannot be used: ${bad}; change \`checkpoint.dir\` in the spec, or the folder given to --resume`,
    );
}

/** What claimRunFolder has to move aside before the run writes (nothing when resuming). */
export interface RunFolderCheck {
  readonly dir: string;
  readonly previous: readonly string[];
}

/**
 * Looks at `dir` before anything loads, touching nothing: a run that does not resume refuses a
 * folder that holds a run, unless `fresh` (then its files are moved aside by claimRunFolder).
 */
export async function checkRunFolder(
  dir: string,
  options: { readonly resume: boolean; readonly fresh: boolean },
): Promise<RunFolderCheck> {
  checkRunPath(dir);
  await checkUnlocked(dir);
  if (options.resume) return { dir, previous: [] };
  const files = await runFiles(dir);
  if (files.length > 0 && !options.fresh)
    throw new RunError(
      `\`${showPath(dir)}\` already holds a run (${describeRun(files)}): continue it with --resume, ` +
        `or start over with --fresh (which moves it to \`${showPath(dir)}.old-N\`; nothing is deleted)`,
    );
  return { dir, previous: files };
}

/**
 * Gets the folder ready just before training: takes its lock, moves a previous run's files to
 * `<dir>.old-N` (saying so through `say`) and proves the folder writable. Returns the lock's
 * release.
 */
export async function claimRunFolder(
  check: RunFolderCheck,
  say: (line: string) => void,
): Promise<() => Promise<void>> {
  const { dir, previous } = check;
  const release = await takeLock(dir, say);
  try {
    await moveAside(dir, previous, say);
    await proveWritable(dir);
  } catch (e) {
    await release();
    throw e;
  }
  return release;
}

async function moveAside(
  dir: string,
  previous: readonly string[],
  say: (line: string) => void,
): Promise<void> {
  if (previous.length > 0) {
    let aside: string;
    try {
      aside = await claimAside(dir);
      for (const f of previous) await rename(join(dir, f), join(aside, f));
    } catch (e) {
      if (isFsError(e))
        throw fsRunError(`cannot move the previous run in \`${showPath(dir)}\` aside`, e);
      throw e;
    }
    say(`--fresh: moved the previous run (${describeRun(previous)}) to ${showPath(aside)}`);
  }
}

/**
 * Writes and removes a small file in `dir`, so a folder that cannot take a checkpoint fails
 * now, not after the first `every` steps of training.
 */
async function proveWritable(dir: string): Promise<void> {
  const probe = join(dir, `.mmc-write-test-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await rm(probe, { force: true });
  } catch (e) {
    if (isFsError(e)) throw fsRunError(`cannot write to the run folder \`${showPath(dir)}\``, e);
    throw e;
  }
}
