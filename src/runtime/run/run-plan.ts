// Everything about a run that is decided before anything loads, reading only: its steps, its
// folder (`--resume DIR`, the train's checkpoint folder, or `runs/<name>` in the spec's folder),
// whether that folder
// may take the run, and the checkpoint it resumes from.
import { runFolder } from "../../spec/run-flags.js";
import { DEFAULT_KEEP } from "../checkpoint/store.js";
import { RunError, showPath } from "./errors.js";
import { findResumePoint, type ResumePoint } from "./resume.js";
import { checkRunFolder, checkRunPath, METRICS_FILE, type RunFolderCheck } from "./run-folder.js";
import type { RunConfig, RunOptions } from "./run-config.js";
import { findStageStart, type StageStart } from "./stage-start.js";

/** Where the run writes: its checkpoint settings (if any) and its folder. */
export interface RunPlace {
  readonly checkpoint:
    { readonly every: number; readonly dir: string; readonly keep: number } | undefined;
  readonly dir: string;
}

/**
 * The run folder (src/spec/run-flags.ts's `runFolder`): `--resume DIR`, else `--out DIR`, else
 * the train's checkpoint folder, else its `runDir` (`runs/<name>` in the spec's folder, never the
 * working folder's: a run started elsewhere must write where the spec's own runs are).
 */
export function runPlace(
  config: Pick<RunConfig, "name" | "steps" | "checkpoint" | "runDir">,
  options: Pick<RunOptions, "resume" | "runDir">,
): RunPlace {
  const keep = config.checkpoint?.keep ?? DEFAULT_KEEP;
  const dir = runFolder(config, options);
  // `--resume DIR` resumes from (and checkpoints into) that folder; `--out DIR` only moves the run
  const checkpoint = config.checkpoint
    ? { every: config.checkpoint.every, dir, keep }
    : typeof options.resume === "string"
      ? { every: config.steps, dir, keep }
      : undefined;
  return { checkpoint, dir };
}

/** "run folder: runs/tiny (metrics.jsonl; a checkpoint every 250 steps, the newest 3 kept)". */
export function describePlace(place: RunPlace): string {
  const c = place.checkpoint;
  return (
    `run folder: ${showPath(place.dir)} (${METRICS_FILE}` +
    (c
      ? `; a checkpoint every ${c.every} step${c.every === 1 ? "" : "s"}, the newest ${c.keep} kept)`
      : "; no checkpoints)")
  );
}

/** What is known before anything loads: steps, the folder, the checkpoint to resume from. */
export interface RunPlan {
  readonly steps: number;
  readonly place: RunPlace;
  readonly folder: RunFolderCheck;
  readonly resume: ResumePoint | undefined;
  /** `init: <train>` on a fresh run: the earlier train's checkpoint (a resumed run has its own). */
  readonly stage: StageStart | undefined;
}

/**
 * Checks the options and the run folder, reading only: a run that cannot go on fails here,
 * before a backend or the data loads.
 */
export async function planRun(config: RunConfig, options: RunOptions): Promise<RunPlan> {
  const steps = options.steps ?? config.steps;
  const resume = options.resume !== undefined && options.resume !== false;
  if (resume && options.fresh)
    throw new RunError(
      "--resume continues the run in the folder and --fresh moves it aside: give one of them",
    );
  const place = runPlace(config, options);
  if (resume && place.checkpoint === undefined)
    throw new RunError(
      "`--resume` needs a checkpoint folder: give `--resume DIR` or a `checkpoint` in the train",
    );
  checkRunPath(place.dir);
  const point = resume ? await findResumePoint(config, place.dir, steps) : undefined;
  const folder = await checkRunFolder(place.dir, { resume, fresh: options.fresh === true });
  const stage = resume ? undefined : await findStageStart(config);
  return { steps, place, folder, resume: point, stage };
}
