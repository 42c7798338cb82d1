// What a run (or `mmc data inspect`) skipped, per source and reason, from the issue counts: one
// line for the terminal at the end, and a `{"type": "skipped"}` record for metrics.jsonl.
import { appendFile } from "node:fs/promises";
import type { DataIssueCode, IssueSink } from "./issues.js";

/** Each code in words; codes that skip nothing (advice, a source left out) are not listed. */
const REASONS: Readonly<Partial<Record<DataIssueCode, string>>> = {
  "missing-file": "missing file",
  "not-regular-file": "not a regular file",
  "outside-data-folder": "path outside the data folder",
  "bad-path": "unusable path",
  "file-too-large": "file too large",
  "image-too-large": "image too large",
  "line-too-long": "line too long",
  "record-too-large": "record too large",
  "corrupt-archive": "damaged archive",
  "corrupt-gzip": "damaged gzip",
  "malformed-json": "malformed JSON",
  "bad-record": "missing fields",
  "bad-turns": "bad conversation turns",
  "image-markers": "image markers do not match the images",
  "incomplete-sample": "incomplete sample",
  "corrupt-image": "corrupt image",
  "unsupported-image": "unsupported image",
  "url-image": "image URL",
};

export interface SourceSkips {
  source: string;
  /** Samples (records, or images dropped from a document) skipped, by issue code. */
  samples: Record<string, number>;
  /** Files skipped whole or from a damaged point on, by issue code. */
  files: Record<string, number>;
  /** A whole pass found nothing usable, so the source left the mixture. */
  leftOut: boolean;
}

export interface SkipSummary {
  samples: number;
  files: number;
  sources: SourceSkips[];
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The summary of everything the sinks counted (several streams may share one source name). */
export function skipSummary(...sinks: IssueSink[]): SkipSummary {
  const bySource = new Map<string, SourceSkips>();
  for (const sink of sinks) {
    const files = sink.summary("files");
    for (const [source, codes] of Object.entries(sink.summary())) {
      const entry = bySource.get(source) ?? { source, samples: {}, files: {}, leftOut: false };
      bySource.set(source, entry);
      for (const [code, n] of Object.entries(codes)) {
        if (code === "empty-source") entry.leftOut = true;
        if (!(code in REASONS)) continue;
        const inFiles = files[source]?.[code] ?? 0;
        if (inFiles > 0) entry.files[code] = (entry.files[code] ?? 0) + inFiles;
        if (n > inFiles) entry.samples[code] = (entry.samples[code] ?? 0) + n - inFiles;
      }
    }
  }
  const sources = [...bySource.values()]
    .filter((s) => s.leftOut || total(s.samples) + total(s.files) > 0)
    .sort((a, b) => a.source.localeCompare(b.source));
  return {
    samples: sources.reduce((a, s) => a + total(s.samples), 0),
    files: sources.reduce((a, s) => a + total(s.files), 0),
    sources,
  };
}

function reasons(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([code, n]) => `${REASONS[code as DataIssueCode] ?? code} ${n}`)
    .join(", ");
}

function part(noun: string, n: number, rows: [string, Record<string, number>][]): string {
  const listed = rows
    .filter(([, c]) => total(c) > 0)
    .map(([source, c]) => `${source} ${total(c)} (${reasons(c)})`);
  return `skipped ${n} ${noun}${n === 1 ? "" : "s"}: ${listed.join(", ")}`;
}

/**
 * "skipped 3 samples: caption 2 (path outside the data folder 1, corrupt image 1), interleaved 1
 * (line too long 1)", then skipped files and sources left out; undefined when nothing was skipped.
 */
export function renderSkipSummary(summary: SkipSummary): string | undefined {
  const out: string[] = [];
  if (summary.samples > 0)
    out.push(
      part(
        "sample",
        summary.samples,
        summary.sources.map((s) => [s.source, s.samples]),
      ),
    );
  if (summary.files > 0)
    out.push(
      part(
        "file",
        summary.files,
        summary.sources.map((s) => [s.source, s.files]),
      ),
    );
  const left = summary.sources.filter((s) => s.leftOut).map((s) => s.source);
  if (left.length > 0) out.push(`left out of the mixture (nothing usable): ${left.join(", ")}`);
  return out.length > 0 ? out.join("; ") : undefined;
}

/** The metrics.jsonl record: `{"type":"skipped","samples":3,"files":0,"sources":{...}}`. */
export function skipRecord(summary: SkipSummary): Record<string, unknown> {
  return {
    type: "skipped",
    samples: summary.samples,
    files: summary.files,
    sources: Object.fromEntries(
      summary.sources.map((s) => [
        s.source,
        { samples: s.samples, files: s.files, ...(s.leftOut ? { left_out: true } : {}) },
      ]),
    ),
  };
}

/**
 * At the end of a run (finished, stopped or failed): prints the summary when something was
 * skipped and appends the record to metrics.jsonl. Never throws, so it cannot hide the run's own
 * outcome; a metrics file that cannot be written is said in one line.
 */
export async function reportSkipped(
  sink: IssueSink,
  options: { say: (line: string) => void; metricsPath?: string },
): Promise<SkipSummary> {
  const summary = skipSummary(sink);
  const line = renderSkipSummary(summary);
  if (line) options.say(`data: ${line}`);
  if (options.metricsPath) {
    try {
      await appendFile(options.metricsPath, `${JSON.stringify(skipRecord(summary))}\n`);
    } catch (e) {
      options.say(
        `note: the skipped-samples record was not written to ${options.metricsPath} (${(e as Error).message})`,
      );
    }
  }
  return summary;
}
