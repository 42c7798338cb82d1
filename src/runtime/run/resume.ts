// `--resume`: the checkpoint a run continues from (the newest in its folder that verifies), checked
// against the run before anything trains: the same train, no more steps than asked for. Every
// problem with a checkpoint becomes a RunError that names the file and says what to do.
import { CheckpointError, type LoadedCheckpoint } from "../checkpoint/checkpoint.js";
import { describeFallback, newestVerified, type PassedOver } from "../checkpoint/resume.js";
import type { RunConfig } from "./run-config.js";
import { escapeControls, fsRunError, isFsError, RunError, showPath } from "./errors.js";

/** A CheckpointError as the user reads it: what is wrong with which file, and what to do. */
export function checkpointRunError(e: CheckpointError): RunError {
  const file = `\`${showPath(e.path)}\``;
  switch (e.problem) {
    case "damaged":
      return new RunError(
        `${file} is damaged and was not loaded: ${e.reason}; no older checkpoint in its folder verifies. ` +
          "Restore the folder from a backup, or start over with --fresh (which moves it aside)",
      );
    case "old-format":
      return new RunError(
        `${file} cannot be resumed: ${e.reason}. Start over with --fresh (which moves it aside)`,
      );
    case "unreadable":
      return e.fsError !== undefined && isFsError(e.fsError)
        ? fsRunError(`cannot read ${file}`, e.fsError)
        : new RunError(`cannot read ${file}: ${e.reason}; check the file and the disk`);
    case "mismatch":
      return new RunError(
        `${file} does not fit this run's model: ${e.reason} (the model changed since it was saved). ` +
          "Resume with the spec it was trained with, or start over with --fresh (which moves it aside)",
      );
  }
}

interface SavedBy {
  readonly train?: unknown;
  readonly source?: unknown;
}

/** The checkpoint a run resumes from, and a warning for each damaged one passed over. */
export interface ResumePoint {
  readonly checkpoint: LoadedCheckpoint;
  readonly warnings: readonly string[];
}

/**
 * The verified checkpoint `config` resumes from in `dir`, for a run of `steps` steps. Throws a
 * RunError when there is none, when it belongs to another train, or when it is already past
 * `steps`.
 */
export async function findResumePoint(
  config: RunConfig,
  dir: string,
  steps: number,
): Promise<ResumePoint> {
  let loaded: LoadedCheckpoint | undefined;
  const passed: PassedOver[] = [];
  try {
    loaded = await newestVerified(dir, { onFallback: (p) => passed.push(p) });
  } catch (e) {
    if (e instanceof CheckpointError) throw checkpointRunError(e);
    throw e;
  }
  if (loaded === undefined)
    throw new RunError(
      `no checkpoint to resume from in \`${showPath(dir)}\`: run without --resume to start this train`,
    );
  const by = (loaded.meta.extra ?? {}) as SavedBy;
  if (typeof by.train === "string" && by.train !== config.name) {
    const where = typeof by.source === "string" ? ` (${escapeControls(by.source)})` : "";
    throw new RunError(
      `\`${showPath(loaded.path)}\` was saved by \`train ${escapeControls(by.train)}\`${where}, not \`train ${config.name}\`: ` +
        `resume it with that train, or give \`train ${config.name}\` a folder of its own (\`checkpoint.dir\`, or --resume DIR)`,
    );
  }
  if (loaded.meta.step > steps)
    throw new RunError(
      `\`${showPath(loaded.path)}\` is at step ${loaded.meta.step}, past the ${steps} steps asked for: ` +
        `give --steps ${loaded.meta.step + 1} or more to train on, or start over with --fresh`,
    );
  return { checkpoint: loaded, warnings: passed.map((p) => describeFallback(p, showPath)) };
}
