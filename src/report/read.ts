// The report's file layer: tells a run folder (metrics.jsonl) from a sweep folder (sweep.json)
// and reads either into the typed model. metrics.jsonl is streamed in chunks with a cap on line
// length and record count, so a huge or hostile file cannot exhaust memory.
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { MAX_LINE_BYTES, MetricsReader, type RunMetrics } from "./metrics.js";
import type { Report, RunReport, SweepPointReport, SweepReport } from "./model.js";
import { parseSweepManifest, SWEEP_MANIFEST, SweepFormatError } from "./sweep-format.js";

export const METRICS_FILE = "metrics.jsonl";
/** sweep.json is small (a few hundred bytes a point); past this it is not one mmc wrote. */
const MAX_MANIFEST_BYTES = 64 << 20;

/** A folder that cannot be reported on: the message says why and what to give instead. */
export class ReportInputError extends Error {}

const WHAT = `give a run folder (with ${METRICS_FILE}, as \`mmc run\` writes) or a sweep folder (with ${SWEEP_MANIFEST})`;

/** Reads a run or sweep folder; throws ReportInputError when it is neither. */
export function readReportFolder(dir: string): Report {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new ReportInputError(`\`${dir}\` does not exist: ${WHAT}`);
  }
  if (!isDir) throw new ReportInputError(`\`${dir}\` is not a folder: ${WHAT}`);
  if (existsSync(join(dir, SWEEP_MANIFEST))) return readSweepFolder(dir);
  if (existsSync(join(dir, METRICS_FILE))) return readRunFolder(dir);
  const empty = readdirSync(dir).length === 0;
  throw new ReportInputError(
    `\`${dir}\` ${empty ? "is empty" : `has neither ${METRICS_FILE} nor ${SWEEP_MANIFEST}`}: ${WHAT}`,
  );
}

export function readRunFolder(dir: string): RunReport {
  const metrics = readMetricsFile(join(dir, METRICS_FILE));
  if (metrics.steps.length === 0 && metrics.evals.length === 0 && metrics.evalTasks.length === 0)
    throw new ReportInputError(
      `\`${join(dir, METRICS_FILE)}\` has no step or eval records` +
        (metrics.badLineCount > 0 ? ` (${metrics.badLineCount} bad lines)` : "") +
        ": train first (`mmc run FILE --steps N`), or give another folder",
    );
  return { kind: "run", name: basename(resolve(dir)), dir, metrics };
}

export function readSweepFolder(dir: string): SweepReport {
  const path = join(dir, SWEEP_MANIFEST);
  if (statSync(path).size > MAX_MANIFEST_BYTES)
    throw new ReportInputError(`\`${path}\` is larger than ${MAX_MANIFEST_BYTES >> 20} MiB`);
  let manifest;
  try {
    manifest = parseSweepManifest(readFileSync(path, "utf8"));
  } catch (e) {
    if (e instanceof SweepFormatError)
      throw new ReportInputError(`${e.message} (in \`${dir}\`); the format is in docs/sweep.md`);
    throw e;
  }
  const root = realpathSync(dir);
  const points = manifest.points.map((point): SweepPointReport => {
    const file = join(dir, point.dir, METRICS_FILE);
    if (!existsSync(file))
      return point.status === "done" || point.status === "failed"
        ? { point, problem: `no ${METRICS_FILE} in \`${point.dir}\`` }
        : { point };
    try {
      // A point folder is one plain name, but it could still be a link to elsewhere.
      const inside = relative(root, realpathSync(file));
      if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside))
        return { point, problem: `\`${point.dir}\` leads outside the sweep folder; not read` };
      return { point, metrics: readMetricsFile(file) };
    } catch (e) {
      return { point, problem: `cannot read \`${point.dir}/${METRICS_FILE}\`: ${errorText(e)}` };
    }
  });
  return { kind: "sweep", dir, manifest, points };
}

function errorText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/** Streams metrics.jsonl through MetricsReader, 64 KiB at a time (tests pass smaller chunks). */
export function readMetricsFile(
  path: string,
  options: { maxRecords?: number; chunkBytes?: number } = {},
): RunMetrics {
  const reader = new MetricsReader(options.maxRecords);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new ReportInputError(`cannot read \`${path}\`: ${errorText(e)}`);
  }
  try {
    const chunk = Buffer.alloc(options.chunkBytes ?? 64 << 10);
    let parts: Buffer[] = [];
    let partBytes = 0;
    let overlong = false;
    let lineNo = 1;
    let lastByte = -1;
    const endLine = (): void => {
      if (overlong) reader.overlong(lineNo);
      else reader.line(Buffer.concat(parts, partBytes).toString("utf8"), lineNo);
      parts = [];
      partBytes = 0;
      overlong = false;
      lineNo++;
    };
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      lastByte = chunk[n - 1]!;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(10, start);
        const end = nl === -1 || nl >= n ? n : nl;
        if (!overlong) {
          if (partBytes + (end - start) > MAX_LINE_BYTES) {
            overlong = true;
            parts = [];
            partBytes = 0;
          } else if (end > start) {
            parts.push(Buffer.from(chunk.subarray(start, end)));
            partBytes += end - start;
          }
        }
        if (end === n) break;
        endLine();
        start = end + 1;
      }
      if (reader.full) return reader.finish(true, true);
    }
    const terminated = lastByte === -1 || lastByte === 10;
    if (!terminated || partBytes > 0 || overlong) endLine();
    return reader.finish(terminated);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
    throw new ReportInputError(`cannot read \`${path}\`: ${errorText(e)}`);
  } finally {
    closeSync(fd);
  }
}
