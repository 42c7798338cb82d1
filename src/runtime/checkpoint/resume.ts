// Which checkpoint a resumed run loads: the newest in the folder that verifies. A newer one that
// is damaged is moved aside (kept, renamed `.damaged`) and named in a warning; falling back is
// safe because every checkpoint carries its own data-stream state and step (see describeFallback).
import { access, rename } from "node:fs/promises";
import { basename, join } from "node:path";
import { CheckpointError, readCheckpoint, type LoadedCheckpoint } from "./checkpoint.js";
import { LEGACY_CHECKPOINT_FILE, listCheckpoints } from "./store.js";

/** A damaged checkpoint that resuming passed over for an older one that verified. */
export interface PassedOver {
  readonly path: string;
  readonly step: number;
  readonly reason: string;
  /** Where the damaged file was moved (kept, never deleted). */
  readonly movedTo: string;
  /** The step of the checkpoint loaded instead. */
  readonly resumedStep: number;
}

export interface ResumeNotes {
  /** Called for each damaged checkpoint passed over (the caller words it: describeFallback). */
  readonly onFallback?: (passed: PassedOver) => void;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Renames a damaged file to `<name>.damaged` (or `.damaged-2`, ...), never over another file. */
async function moveAside(path: string): Promise<string> {
  for (let n = 1; ; n++) {
    const to = `${path}.damaged${n === 1 ? "" : `-${n}`}`;
    if (!(await exists(to))) {
      await rename(path, to);
      return to;
    }
  }
}

/**
 * The newest checkpoint in `dir` that verifies, or undefined when the folder has none. Damaged
 * files newer than it are moved aside, each with a note. Throws a CheckpointError when there are
 * checkpoints but none verifies (naming the newest and why), or when the folder holds only a
 * checkpoint of the old format, or a file could not be read.
 */
export async function newestVerified(
  dir: string,
  notes: ResumeNotes = {},
): Promise<LoadedCheckpoint | undefined> {
  const stored = await listCheckpoints(dir);
  if (stored.length === 0) {
    const legacy = join(dir, LEGACY_CHECKPOINT_FILE);
    if (await exists(legacy)) await readCheckpoint(legacy); // throws: old format, or damaged
    return undefined;
  }
  let first: CheckpointError | undefined;
  const passed: { step: number; path: string; reason: string }[] = [];
  for (const c of stored) {
    try {
      const loaded = await readCheckpoint(c.path);
      for (const p of passed) {
        const movedTo = await moveAside(p.path);
        notes.onFallback?.({ ...p, movedTo, resumedStep: loaded.meta.step });
      }
      return loaded;
    } catch (e) {
      if (!(e instanceof CheckpointError) || e.problem !== "damaged") throw e;
      first ??= e;
      passed.push({ step: c.step, path: c.path, reason: e.reason });
    }
  }
  throw first as CheckpointError;
}

/**
 * Why falling back is safe, in the warning itself: the older checkpoint verified, it holds the
 * data stream's position at its step, and training is deterministic from there, so the run
 * trains the lost steps again on the same data. `show` writes a path for the terminal.
 */
export function describeFallback(p: PassedOver, show: (path: string) => string): string {
  return (
    `\`${show(p.path)}\` (step ${p.step}) is damaged: ${p.reason}; it is not loaded ` +
    `(kept as \`${basename(p.movedTo)}\`). Resuming from the previous checkpoint, step ${p.resumedStep}, which ` +
    `verified and holds the data stream's position at that step, so the run trains steps ` +
    `${p.resumedStep + 1}-${p.step} again on the same data and nothing is lost`
  );
}
