// Bad-data reporting: every problem with the input is a DataIssue naming the file and position;
// it goes to a warning callback and is counted, or is thrown as a DataError in strict mode.
import { escapeControls } from "./show-text.js";

export type DataIssueCode =
  | "missing-file"
  | "corrupt-archive"
  | "corrupt-gzip"
  | "malformed-json"
  | "bad-record"
  | "bad-turns"
  | "image-markers"
  | "incomplete-sample"
  | "corrupt-image"
  | "unsupported-image"
  | "url-image"
  | "outside-data-folder"
  | "not-regular-file"
  | "bad-path"
  | "file-too-large"
  | "image-too-large"
  | "line-too-long"
  | "record-too-large"
  | "empty-source"
  | "repeated-source";

export interface DataIssue {
  code: DataIssueCode;
  /** The source name from the spec. */
  source: string;
  file: string;
  /** Where in the file, e.g. "line 12" or "entry `000003.png` at byte 4608". */
  position?: string;
  message: string;
  /** A concrete thing the user can do. */
  fix?: string;
  /** "file" when a whole file (or the rest of one) is skipped rather than one sample. */
  scope?: "file";
}

/** Advice is never an error, even in strict mode. */
const ADVICE: ReadonlySet<DataIssueCode> = new Set<DataIssueCode>(["repeated-source"]);

export class DataError extends Error {
  readonly issue: DataIssue | undefined;
  constructor(message: string, issue?: DataIssue) {
    super(message);
    this.name = "DataError";
    this.issue = issue;
  }
}

/** One line for the terminal; text that came from data files has its control characters escaped. */
export function renderIssue(issue: DataIssue): string {
  const where = issue.position ? `${issue.file}: ${issue.position}` : issue.file;
  const fix = issue.fix ? ` (fix: ${issue.fix})` : "";
  return escapeControls(
    `data[${issue.code}] source \`${issue.source}\`: ${where}: ${issue.message}${fix}`,
  );
}

export type WarningHandler = (issue: DataIssue, rendered: string) => void;

export interface IssueOptions {
  strict?: boolean;
  onWarning?: WarningHandler;
  /** Warnings passed on per source and code before the rest are only counted. Default 20. */
  maxWarningsPerKind?: number;
}

export class IssueSink {
  readonly counts = new Map<string, number>();
  /** The part of `counts` that skipped whole files, same keys. */
  readonly fileCounts = new Map<string, number>();
  private readonly strict: boolean;
  private readonly onWarning: WarningHandler | undefined;
  private readonly maxPerKind: number;

  constructor(options: IssueOptions = {}) {
    this.strict = options.strict ?? false;
    this.onWarning = options.onWarning;
    this.maxPerKind = options.maxWarningsPerKind ?? 20;
  }

  report(issue: DataIssue): void {
    const rendered = renderIssue(issue);
    if (this.strict && !ADVICE.has(issue.code)) throw new DataError(rendered, issue);
    const key = `${issue.source}\u0000${issue.code}`;
    const seen = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, seen);
    if (issue.scope === "file") this.fileCounts.set(key, (this.fileCounts.get(key) ?? 0) + 1);
    if (!this.onWarning || seen > this.maxPerKind + 1) return;
    if (seen === this.maxPerKind + 1) {
      const more: DataIssue = {
        ...issue,
        position: undefined,
        message: `more \`${issue.code}\` issues in this source are counted but not reported`,
        fix: undefined,
      };
      this.onWarning(more, renderIssue(more));
      return;
    }
    this.onWarning(issue, rendered);
  }

  /** Issue counts as `{ source: { code: n } }`; `files` counts only the file-scoped ones. */
  summary(which: "all" | "files" = "all"): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, n] of which === "all" ? this.counts : this.fileCounts) {
      const [source = "", code = ""] = key.split("\u0000");
      (out[source] ??= {})[code] = n;
    }
    return out;
  }
}
