// The realised mixture of a train's run, for hovers on a data source: what the run's
// `metrics.jsonl` says it drew from each source. The server never opens a data file; it reads the
// tail of one metrics log (at most `METRICS_TAIL_BYTES`, through `LspEnv.readTail`, which refuses
// anything but a regular file), takes the last `step` record, and gives each source's count of
// samples (`sources`) and of tokens (`source_tokens`, src/runtime/run/driver.ts). Anything that is
// not such a record (garbage, a cut line, other record types, wrong types) is skipped.
import { posix } from "node:path";
import type { CheckedTrain } from "../check/ir.js";

/** How much of a metrics log's end is read: the last step record is in it unless lines are huge. */
export const METRICS_TAIL_BYTES = 256 * 1024;
/** More sources than this in one record is not a log mmc wrote. */
const MAX_SOURCES = 1000;

export interface RealisedCounts {
  readonly step: number;
  /** Samples drawn per source since step 0 (a resumed run continues its counts). */
  readonly samples: ReadonlyMap<string, number>;
  /** Tokens drawn per source, when the log records them. */
  readonly tokens?: ReadonlyMap<string, number>;
}

export interface RealisedRun extends RealisedCounts {
  readonly train: string;
  /** The metrics log, as the hover shows it (relative to the spec's folder). */
  readonly shown: string;
}

/** The last step record with per-source counts in the tail of a metrics log, or undefined. */
export function lastSourceCounts(tail: string): RealisedCounts | undefined {
  const lines = tail.split("\n");
  // The first line may be cut by the tail read; it is skipped like any line that does not parse.
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith("{") || !line.includes('"step"')) continue;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    const counts = countsOf(r);
    if (counts) return counts;
  }
  return undefined;
}

function countsOf(r: unknown): RealisedCounts | undefined {
  if (r === null || typeof r !== "object" || Array.isArray(r)) return undefined;
  const o = r as Record<string, unknown>;
  if (o["type"] !== "step" || !isCount(o["step"])) return undefined;
  const samples = countMap(o["sources"]);
  if (!samples) return undefined;
  const tokens = countMap(o["source_tokens"]);
  return { step: o["step"], samples, ...(tokens ? { tokens } : {}) };
}

function isCount(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x) && x >= 0;
}

function countMap(x: unknown): Map<string, number> | undefined {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return undefined;
  const entries = Object.entries(x as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_SOURCES) return undefined;
  const out = new Map<string, number>();
  for (const [k, v] of entries) {
    if (!isCount(v)) return undefined;
    out.set(k, v);
  }
  return out;
}

/**
 * The run folder's metrics log of a train, relative to the spec's folder (the runtime's and the
 * generated code's rule: `checkpoint.dir`, else `runs/<name>`); undefined when it would leave
 * the spec's folder (the hover reads nothing outside it).
 */
export function metricsPathOf(train: CheckedTrain): string | undefined {
  const dir = posix.normalize(train.checkpoint?.dir ?? `runs/${train.name}`);
  if (posix.isAbsolute(dir) || dir === ".." || dir.startsWith("../") || dir.includes("\0"))
    return undefined;
  return posix.join(dir, "metrics.jsonl");
}

/** `part` of `whole` as a percentage with at most 4 significant digits. */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${Number(((part / whole) * 100).toPrecision(4))}%` : "0%";
}

/** Markdown lines for one source: its realised share in each run that logged counts. */
export function realisedLines(
  source: string,
  weighting: "samples" | "tokens",
  runs: readonly RealisedRun[],
): string[] {
  const out: string[] = [];
  for (const run of runs) {
    const counts = weighting === "tokens" && run.tokens ? run.tokens : run.samples;
    const unit = counts === run.tokens ? "tokens" : "samples";
    const mine = counts.get(source);
    const total = [...counts.values()].reduce((s, x) => s + x, 0);
    const where = `\`train ${run.train}\`'s run (\`${run.shown}\`, step ${run.step})`;
    if (mine === undefined) {
      out.push(`- realised: not in ${where}: the run drew from other sources`);
      continue;
    }
    const note =
      weighting === "tokens" && unit === "samples" ? " (this log has no token counts)" : "";
    out.push(
      `- realised: ${percent(mine, total)} of the ${unit} in ${where}: ${mine.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}${note}`,
    );
  }
  return out;
}
