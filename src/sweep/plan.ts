// A sweep's plan, decided before anything trains: its folder, and per grid point its id, axis
// labels, safe folder, the train it runs (named and placed for the sweep), its fingerprint, the
// numbers the checker derived for it and an estimate of its training time.
import { dirname, join, relative, resolve, sep } from "node:path";
import type { CheckedProgram, CheckedSweep, CheckedTrain } from "../check/ir.js";
import { fingerprint } from "./fingerprint.js";
import { pointDirs } from "./names.js";

/** Checkpoints a point keeps when its base train does not say (the runtime's DEFAULT_KEEP). */
const KEEP = 3;

/**
 * Training FLOPs per second assumed for the estimate before a point of the sweep has trained:
 * the order of what TensorFlow.js's wasm backend sustains on two laptop cores for these small
 * models. Once points have finished, `mmc sweep` estimates from their measured speed instead.
 */
export const ASSUMED_FLOPS_PER_SECOND = 5e8;

/**
 * Seconds a point spends before its first step and after its last (node starting, the backend
 * and the data loading, the final evaluation): for models this small, most of a point's time.
 */
export const POINT_OVERHEAD_SECONDS = 6;

/** A point's estimated wall time at `flopsPerSecond`. */
export function estimateSeconds(p: PlannedPoint, flopsPerSecond: number): number {
  return POINT_OVERHEAD_SECONDS + p.trainFlops / flopsPerSecond;
}

export interface Derived {
  readonly params: number;
  readonly active_params: number;
  readonly image_tokens: number;
  readonly flops_per_token: number;
  readonly train_memory: number;
}

export interface PlannedPoint {
  /** `p0`, `p1`, ...: the point's place in the grid (the first axis varies slowest). */
  readonly id: string;
  readonly labels: readonly string[];
  /** One safe folder name under the sweep folder. */
  readonly dir: string;
  /** The point's train as it runs: named `<sweep>_<id>`, steps and checkpoint folder set. */
  readonly train: CheckedTrain;
  readonly fingerprint: string;
  readonly derived: Derived;
  /** Training FLOPs of the whole point (3 x forward, images included). */
  readonly trainFlops: number;
}

export interface SweepPlan {
  readonly sweep: CheckedSweep;
  /** The spec as given on the command line. */
  readonly spec: string;
  /** The sweep folder: `sweeps/<name>` next to the spec. */
  readonly dir: string;
  readonly points: readonly PlannedPoint[];
}

export class SweepChoiceError extends Error {}

/** The sweep `--sweep NAME` names, or the file's only one. */
export function chooseSweep(p: CheckedProgram, file: string, name?: string): CheckedSweep {
  if (p.sweeps.length === 0) throw new SweepChoiceError(`\`${file}\` has no \`sweep\` to run`);
  if (name === undefined) {
    if (p.sweeps.length > 1)
      throw new SweepChoiceError(
        `\`${file}\` has ${p.sweeps.length} sweeps (${p.sweeps.map((s) => `\`${s.name}\``).join(", ")}): choose one with --sweep`,
      );
    return p.sweeps[0]!;
  }
  const sweep = p.sweeps.find((s) => s.name === name);
  if (!sweep)
    throw new SweepChoiceError(
      `\`${file}\` has no \`sweep ${name}\` (it has ${p.sweeps.map((s) => `\`${s.name}\``).join(", ")})`,
    );
  return sweep;
}

export function derivedOf(train: CheckedTrain): Derived {
  const s = train.model.summary;
  return {
    params: s.params,
    active_params: s.activeParams,
    image_tokens: s.imageTokens,
    flops_per_token: s.flopsPerToken,
    train_memory: train.memory.total,
  };
}

/** Training FLOPs of one step: forward and backward (3x forward) over the batch's tokens and images. */
export function stepFlops(train: CheckedTrain): number {
  const s = train.model.summary;
  const images = train.model.image ? s.imagesPerSequence : 0;
  return 3 * train.batch * (train.sequence * s.flopsPerToken + images * s.flopsPerImage);
}

/** Where a point writes checkpoints: a path relative to the spec's folder, as the checker keeps it. */
function specRelative(specFile: string, dir: string): string {
  const rel = relative(resolve(dirname(specFile)), resolve(dir));
  return sep === "\\" ? rel.split("\\").join("/") : rel;
}

export function planSweep(
  sweep: CheckedSweep,
  spec: string,
  options: { readonly steps?: number } = {},
): SweepPlan {
  const dir = join(dirname(spec), "sweeps", sweep.name);
  const dirs = pointDirs(sweep.points.map((p) => p.labels));
  const points = sweep.points.map((p, i): PlannedPoint => {
    const id = `p${i}`;
    const steps = options.steps ?? p.train.steps;
    const base = p.train.checkpoint;
    const every = base ? Math.min(base.every, steps) : Math.max(1, Math.ceil(steps / 10));
    const train: CheckedTrain = {
      ...p.train,
      // an identifier (sweep names are), stable for the point: checkpoints record it
      name: `${sweep.name}_${id}`,
      steps,
      checkpoint: { every, dir: specRelative(spec, join(dir, dirs[i]!)), keep: base?.keep ?? KEEP },
    };
    return {
      id,
      labels: p.labels,
      dir: dirs[i]!,
      train,
      fingerprint: fingerprint(train, steps),
      derived: derivedOf(train),
      trainFlops: steps * stepFlops(train),
    };
  });
  return { sweep, spec, dir, points };
}
