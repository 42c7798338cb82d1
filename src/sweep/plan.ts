// A sweep's plan, decided before anything trains: its folder, and per grid point its id, axis
// labels, safe folder, the train it runs (named and placed for the sweep), its fingerprint, the
// numbers the checker derived for it and an estimate of its training time.
import { dirname, join, relative, resolve, sep } from "node:path";
import type { CheckedProgram, CheckedSweep, CheckedTrain } from "../check/ir.js";
import type { SweepManifest, SweepManifestPoint } from "../report/sweep-format.js";
import { canonicalJson, fingerprint } from "./fingerprint.js";
import { pointDirs, slug } from "./names.js";

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

/**
 * A point against the sweep folder's previous manifest: `new` (no point there has its axis
 * values, nor its fingerprint), `changed` (the same axis values, another fingerprint: trained
 * again) or `unchanged` (the same fingerprint: kept, continued or skipped).
 */
export type PointChange = "new" | "changed" | "unchanged";

export interface PlannedPoint {
  /**
   * `p0`, `p1`, ...: in a new sweep the point's place in the grid (the first axis varies
   * slowest); a point the previous manifest holds keeps its id (and folder), and a new one
   * takes the next number no earlier point of the folder used.
   */
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
  readonly change: PointChange;
  /** The previous manifest's entry for this point (matched by axis values, else fingerprint). */
  readonly previous?: SweepManifestPoint;
}

export interface SweepPlan {
  readonly sweep: CheckedSweep;
  /** The spec as given on the command line. */
  readonly spec: string;
  /** The sweep folder: `sweeps/<name>` next to the spec. */
  readonly dir: string;
  readonly points: readonly PlannedPoint[];
  /** Points of the previous manifest that are no longer in the grid (their folders are kept). */
  readonly retired: readonly SweepManifestPoint[];
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

/** A point's identity: its axis values by axis path (so reordering the axes keeps it). */
function pointKey(paths: readonly string[], labels: readonly string[]): string {
  return canonicalJson(Object.fromEntries(paths.map((p, i) => [p, labels[i] ?? ""])));
}

/** The number of a point folder or id `p12`, `p12-avgpool`, `p12-x.old-1`; undefined for others. */
function pointNumber(name: string): number | undefined {
  const m = /^p(\d{1,6})(?![0-9])/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export interface PlanOptions {
  readonly steps?: number;
  /** The sweep folder (default `sweeps/<name>` next to the spec). */
  readonly dir?: string;
  /** The manifest already in the folder: its points keep their ids and folders. */
  readonly previous?: SweepManifest;
  /** Names already in the folder: a new point's number is none of theirs. */
  readonly taken?: readonly string[];
}

export function planSweep(sweep: CheckedSweep, spec: string, options: PlanOptions = {}): SweepPlan {
  const dir = options.dir ?? join(dirname(spec), "sweeps", sweep.name);
  const paths = sweep.axes.map((a) => a.path);
  const prints = sweep.points.map((p) => {
    const steps = options.steps ?? p.train.steps;
    return fingerprint({ ...p.train, steps }, steps);
  });
  // Match each grid point to the previous manifest's: by axis values first, then (for a value
  // written another way, or an axis added) by fingerprint. Each previous point matches once.
  const prev = options.previous;
  const matched: (SweepManifestPoint | undefined)[] = sweep.points.map(() => undefined);
  if (prev) {
    const prevPaths = prev.axes.map((a) => a.path);
    const free = new Set(prev.points);
    const byKey = new Map<string, SweepManifestPoint>();
    for (const q of prev.points) {
      const k = pointKey(prevPaths, q.labels);
      if (!byKey.has(k)) byKey.set(k, q);
    }
    sweep.points.forEach((p, i) => {
      const q = byKey.get(pointKey(paths, p.labels));
      if (q && free.has(q)) {
        matched[i] = q;
        free.delete(q);
      }
    });
    sweep.points.forEach((_, i) => {
      if (matched[i]) return;
      const q = [...free].find((x) => x.fingerprint === prints[i]);
      if (q) {
        matched[i] = q;
        free.delete(q);
      }
    });
  }
  // Ids and folders: a matched point keeps its own; a new one takes a number no point of the
  // previous manifest and no folder in the sweep folder has (so no data is ever shared).
  const positional = pointDirs(sweep.points.map((p) => p.labels));
  const used = [...(prev?.points ?? []).map((q) => q.id), ...(prev?.points ?? []).map((q) => q.dir)]
    .concat(options.taken ?? [])
    .map(pointNumber)
    .filter((n): n is number => n !== undefined);
  let next = used.length > 0 ? Math.max(...used) + 1 : 0;
  const fresh =
    prev === undefined && (options.taken ?? []).every((t) => pointNumber(t) === undefined);
  const ids = sweep.points.map((p, i) => {
    const q = matched[i];
    if (q) return { id: q.id, dir: q.dir };
    if (fresh) return { id: `p${i}`, dir: positional[i]! };
    const id = `p${next++}`;
    const s = slug(p.labels);
    return { id, dir: s === "" ? id : `${id}-${s}` };
  });
  const points = sweep.points.map((p, i): PlannedPoint => {
    const { id, dir: pointDir } = ids[i]!;
    const steps = options.steps ?? p.train.steps;
    const base = p.train.checkpoint;
    const every = base ? Math.min(base.every, steps) : Math.max(1, Math.ceil(steps / 10));
    const train: CheckedTrain = {
      ...p.train,
      // an identifier (sweep names are), stable for the point: checkpoints record it
      name: `${sweep.name}_${id}`,
      steps,
      checkpoint: { every, dir: specRelative(spec, join(dir, pointDir)), keep: base?.keep ?? KEEP },
    };
    const q = matched[i];
    return {
      id,
      labels: p.labels,
      dir: pointDir,
      train,
      fingerprint: prints[i]!,
      derived: derivedOf(train),
      trainFlops: steps * stepFlops(train),
      change: q === undefined ? "new" : q.fingerprint === prints[i] ? "unchanged" : "changed",
      ...(q ? { previous: q } : {}),
    };
  });
  const kept = new Set(matched.filter((q) => q !== undefined));
  const retired = (prev?.points ?? []).filter((q) => !kept.has(q));
  return { sweep, spec, dir, points, retired };
}
