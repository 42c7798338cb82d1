// The sweep folder's manifest, sweep.json (format 1; docs/sweep.md): the reference reader for
// what `mmc sweep` writes. Strict, because mmc writes it: a manifest that does not fit is a clear
// error naming the field, never a guess. Point folders are single, plain path segments, so a
// manifest cannot send the reader outside its sweep folder.

export const SWEEP_FORMAT = 1;
export const SWEEP_MANIFEST = "sweep.json";
export const MAX_POINTS = 10_000;

export type PointStatus = "done" | "running" | "pending" | "failed";
export const POINT_STATUSES: readonly PointStatus[] = ["done", "running", "pending", "failed"];

export interface SweepManifestAxis {
  /** The path varied, as written in the spec: `model.connector`, `steps`. */
  readonly path: string;
  /** One short label per value, in the order of the spec's list. */
  readonly labels: readonly string[];
}

export interface SweepManifestPoint {
  /** Unique in the sweep: `p0`, `p1`, ... */
  readonly id: string;
  /** One label per axis, in the order of `axes`. */
  readonly labels: readonly string[];
  /** The point's run folder: one path segment under the sweep folder. */
  readonly dir: string;
  readonly status: PointStatus;
  /** Identifies the point's resolved train, so a re-run can tell a changed point. */
  readonly fingerprint?: string;
  /** Numbers the checker derived for the point: params, active_params, image_tokens, ... */
  readonly derived: Readonly<Record<string, number>>;
}

export interface SweepManifest {
  readonly format: 1;
  readonly sweep: string;
  /** The spec file the sweep came from, as given to `mmc sweep`. */
  readonly spec: string;
  readonly axes: readonly SweepManifestAxis[];
  /** Metric names to report, in order (the sweep's `report:` list). */
  readonly report: readonly string[];
  readonly points: readonly SweepManifestPoint[];
}

export class SweepFormatError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fail(where: string, what: string): never {
  throw new SweepFormatError(`${SWEEP_MANIFEST}: \`${where}\` ${what}`);
}

function obj(v: Json | undefined, where: string): { [key: string]: Json } {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(where, "must be an object");
  return v;
}

function str(v: Json | undefined, where: string): string {
  if (typeof v !== "string" || v === "") fail(where, "must be a non-empty string");
  return v;
}

function arr(v: Json | undefined, where: string): Json[] {
  if (!Array.isArray(v)) fail(where, "must be a list");
  return v;
}

function strings(v: Json | undefined, where: string): string[] {
  return arr(v, where).map((x, i) => str(x, `${where}[${i}]`));
}

/** A point folder name: letters, digits, `.`, `_` and `-`, not `.` or `..`. */
export function isSafeSegment(name: string): boolean {
  return /^[A-Za-z0-9._-]{1,200}$/.test(name) && name !== "." && name !== "..";
}

/** Parses and validates sweep.json; throws SweepFormatError with the field at fault. */
export function parseSweepManifest(text: string): SweepManifest {
  let raw: Json;
  try {
    raw = JSON.parse(text) as Json;
  } catch (e) {
    throw new SweepFormatError(
      `${SWEEP_MANIFEST} is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const top = obj(raw, "(top level)");
  const format = top["format"];
  if (format !== SWEEP_FORMAT)
    fail(
      "format",
      typeof format === "number" && format > SWEEP_FORMAT
        ? `is ${format}, newer than this mmc reads (${SWEEP_FORMAT}): update mmc`
        : `must be ${SWEEP_FORMAT}`,
    );
  const axes = arr(top["axes"], "axes").map((a, i) => {
    const o = obj(a, `axes[${i}]`);
    return {
      path: str(o["path"], `axes[${i}].path`),
      labels: strings(o["labels"], `axes[${i}].labels`),
    };
  });
  const rawPoints = arr(top["points"], "points");
  if (rawPoints.length > MAX_POINTS) fail("points", `has more than ${MAX_POINTS} points`);
  const ids = new Set<string>();
  const dirs = new Set<string>();
  const points = rawPoints.map((p, i): SweepManifestPoint => {
    const at = `points[${i}]`;
    const o = obj(p, at);
    const id = str(o["id"], `${at}.id`);
    if (ids.has(id)) fail(`${at}.id`, "repeats an earlier point's id");
    ids.add(id);
    const labels = strings(o["labels"], `${at}.labels`);
    if (labels.length !== axes.length)
      fail(`${at}.labels`, `has ${labels.length} labels for ${axes.length} axes`);
    labels.forEach((l, j) => {
      if (!axes[j]!.labels.includes(l))
        fail(`${at}.labels[${j}]`, `is not one of the labels of axis \`${axes[j]!.path}\``);
    });
    const dir = str(o["dir"], `${at}.dir`);
    if (!isSafeSegment(dir))
      fail(
        `${at}.dir`,
        "must be one folder name of letters, digits, `.`, `_` and `-` inside the sweep folder",
      );
    if (dirs.has(dir)) fail(`${at}.dir`, "repeats an earlier point's folder");
    dirs.add(dir);
    const status = o["status"];
    if (typeof status !== "string" || !(POINT_STATUSES as readonly string[]).includes(status))
      fail(`${at}.status`, `must be one of ${POINT_STATUSES.map((s) => `"${s}"`).join(", ")}`);
    const derived: Record<string, number> = Object.create(null) as Record<string, number>;
    if (o["derived"] !== undefined)
      for (const [k, v] of Object.entries(obj(o["derived"], `${at}.derived`))) {
        if (typeof v !== "number" || !Number.isFinite(v))
          fail(`${at}.derived.${k}`, "must be a finite number");
        derived[k] = v;
      }
    const fingerprint = o["fingerprint"];
    if (fingerprint !== undefined && typeof fingerprint !== "string")
      fail(`${at}.fingerprint`, "must be a string");
    return {
      id,
      labels,
      dir,
      status: status as PointStatus,
      ...(fingerprint !== undefined ? { fingerprint } : {}),
      derived,
    };
  });
  return {
    format: SWEEP_FORMAT,
    sweep: str(top["sweep"], "sweep"),
    spec: str(top["spec"], "spec"),
    axes,
    report: top["report"] === undefined ? ["loss"] : strings(top["report"], "report"),
    points,
  };
}
