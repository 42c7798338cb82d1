// sweep.json as `mmc sweep` writes it (format 1, docs/sweep.md; src/report/sweep-format.ts is
// the reader and the reference). Every write replaces the file atomically, so a sweep killed at
// any moment leaves the last complete manifest: finished points stay finished.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  parseSweepManifest,
  SWEEP_FORMAT,
  SWEEP_MANIFEST,
  SweepFormatError,
  type PointStatus,
  type SweepManifest,
} from "../report/sweep-format.js";
import { writeAtomically } from "../cli/commands/report.js";
import type { SweepPlan } from "./plan.js";

export { SWEEP_MANIFEST };

export class ManifestError extends Error {}

export function manifestPath(dir: string): string {
  return join(dir, SWEEP_MANIFEST);
}

/** The manifest of `plan` with each point's status. */
export function buildManifest(plan: SweepPlan, status: (id: string) => PointStatus): SweepManifest {
  return {
    format: SWEEP_FORMAT,
    sweep: plan.sweep.name,
    spec: plan.spec,
    axes: plan.sweep.axes.map((a) => ({ path: a.path, labels: [...a.labels] })),
    report: [...plan.sweep.report],
    points: plan.points.map((p) => ({
      id: p.id,
      labels: [...p.labels],
      dir: p.dir,
      status: status(p.id),
      fingerprint: p.fingerprint,
      derived: { ...p.derived },
    })),
  };
}

/** Writes sweep.json atomically (temp file, flush, rename); throws ManifestError on failure. */
export function writeManifest(dir: string, manifest: SweepManifest): void {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  // What we write must read back: the reader is the format's reference.
  parseSweepManifest(text);
  const failure = writeAtomically(manifestPath(dir), text);
  if (failure !== undefined)
    throw new ManifestError(`cannot write \`${manifestPath(dir)}\` (${failure})`);
}

/** The sweep.json already in `dir`, if any; a damaged one is a ManifestError. */
export function readManifest(dir: string): SweepManifest | undefined {
  const path = manifestPath(dir);
  if (!existsSync(path)) return undefined;
  try {
    return parseSweepManifest(readFileSync(path, "utf8"));
  } catch (e) {
    if (e instanceof SweepFormatError)
      throw new ManifestError(
        `${e.message}: the sweep folder \`${dir}\` holds a manifest mmc cannot continue; start over with --fresh (which moves the folder aside)`,
      );
    throw e;
  }
}
