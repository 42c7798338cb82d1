// The sweep folder: one sweep at a time writes there (the run lock of run-lock.ts, the same file
// a run holds), a second sweep without --resume is refused as `mmc run` refuses a run folder,
// and --fresh moves the previous sweep to `<dir>.old-N` (run-folder.ts's claimAside; nothing is
// deleted).
import { readdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { listCheckpoints } from "../runtime/checkpoint/store.js";
import { badPath, fsRunError, isFsError, RunError, showPath } from "../runtime/run/errors.js";
import { claimAside } from "../runtime/run/run-folder.js";
import { checkUnlocked, LOCK_FILE, takeLock } from "../runtime/run/run-lock.js";
import { readManifest } from "./manifest.js";
import type { SweepManifest } from "../report/sweep-format.js";

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    if (isFsError(e)) throw fsRunError(`cannot read the sweep folder \`${showPath(dir)}\``, e);
    throw e;
  }
}

/** "2 of 4 points done": what a previous sweep left, for messages. */
function describeSweep(m: SweepManifest | undefined, files: readonly string[]): string {
  if (!m) return `${files.length} file${files.length === 1 ? "" : "s"}`;
  const done = m.points.filter((p) => p.status === "done").length;
  return `${done} of ${m.points.length} points done`;
}

/**
 * Claims the sweep folder: refuses one a live sweep holds; without --resume refuses one that
 * holds a sweep, unless --fresh (then moves it aside); takes the lock. Returns the previous
 * manifest (when resuming) and the lock's release.
 */
export async function claimSweepFolder(
  dir: string,
  options: { readonly resume: boolean; readonly fresh: boolean },
  say: (line: string) => void,
): Promise<{ previous: SweepManifest | undefined; release: () => Promise<void> }> {
  const bad = badPath(dir);
  if (bad !== undefined)
    throw new RunError(`the sweep folder \`${showPath(dir)}\` cannot be used: ${bad}`);
  await checkUnlocked(dir);
  let previous = readManifest(dir);
  const files = (await entries(dir)).filter((f) => f !== LOCK_FILE);
  if (!options.resume && files.length > 0) {
    if (!options.fresh)
      throw new RunError(
        `\`${showPath(dir)}\` already holds a sweep (${describeSweep(previous, files)}): continue it with --resume, ` +
          `or start over with --fresh (which moves it to \`${showPath(dir)}.old-N\`; nothing is deleted)`,
      );
    try {
      const aside = await claimAside(dir);
      for (const f of files) await rename(join(dir, f), join(aside, f));
      say(
        `--fresh: moved the previous sweep (${describeSweep(previous, files)}) to ${showPath(aside)}`,
      );
    } catch (e) {
      if (isFsError(e))
        throw fsRunError(`cannot move the previous sweep in \`${showPath(dir)}\` aside`, e);
      throw e;
    }
    previous = undefined;
  }
  const release = await takeLock(dir, say);
  return { previous, release };
}

/** Whether a point folder holds a checkpoint to continue from. */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    return (await listCheckpoints(dir)).length > 0;
  } catch {
    return false;
  }
}
