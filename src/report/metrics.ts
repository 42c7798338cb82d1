// Reading a run's metrics.jsonl (what src/runtime/run/driver.ts writes) into typed records. The
// file is untrusted input: bad lines are counted and skipped, a truncated last line (a run that
// was killed mid-write) is tolerated, unknown record types are ignored; nothing here throws.
import { clip } from "./escape.js";

/** One `{"type":"step"}` record. */
export interface StepRecord {
  readonly step: number;
  readonly loss: number;
  readonly crossEntropy?: number;
  readonly lr?: number;
  readonly gradNorm?: number;
  readonly tokensPerSecond?: number;
  readonly stepSeconds?: number;
}

/** One `{"type":"eval"}` record: every numeric field but `step` (caption_loss, ...). */
export interface EvalRecord {
  readonly step: number;
  readonly values: Readonly<Record<string, number>>;
}

/** One `{"type":"eval_task"}` record: a few-shot benchmark's score at a step. */
export interface EvalTaskRecord {
  readonly step: number;
  readonly task: string;
  readonly shots: number;
  readonly metric: string;
  readonly value: number;
}

export interface BadLine {
  /** 1-based line number in metrics.jsonl. */
  readonly line: number;
  readonly reason: string;
}

export interface RunMetrics {
  /** Sorted by step; a step logged twice (a resume that did not trim) keeps its later record. */
  readonly steps: readonly StepRecord[];
  readonly evals: readonly EvalRecord[];
  readonly evalTasks: readonly EvalTaskRecord[];
  /** `{"type":"skipped"}` records that are not the data summary below (a step skipped). */
  readonly skipped: number;
  /**
   * The data loader's summaries (`{"type":"skipped","samples":3,"files":0,...}`, one at the end
   * of each session, src/runtime/data/skip-summary.ts): unreadable samples and files, summed.
   */
  readonly skippedSamples: number;
  readonly skippedFiles: number;
  /** Lines that are not a valid record, the first MAX_BAD_LINES_KEPT of them. */
  readonly badLines: readonly BadLine[];
  readonly badLineCount: number;
  /** The last line had no newline and did not parse: the writer was stopped mid-line. */
  readonly truncatedLastLine: boolean;
  /** Records of types this reader does not know, by type (ignored). */
  readonly unknownTypes: Readonly<Record<string, number>>;
  /** Reading stopped at `recordLimit` records; the rest of the file was not read. */
  readonly stoppedEarly: boolean;
  readonly recordLimit: number;
  readonly lines: number;
}

export const MAX_LINE_BYTES = 1 << 20;
export const MAX_RECORDS = 1_000_000;
export const MAX_BAD_LINES_KEPT = 20;
/** Distinct unknown types and eval_task series kept; more are counted as bad or unknown. */
export const MAX_KEYS = 100;
const MAX_NAME = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function num(v: Json | undefined): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function isObject(v: Json): v is { [key: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Collects records line by line, so the file layer can stream a large file. */
export class MetricsReader {
  private readonly steps = new Map<number, StepRecord>();
  private readonly evals = new Map<number, Record<string, number>>();
  private readonly evalTasks: EvalTaskRecord[] = [];
  private readonly taskKeys = new Set<string>();
  private readonly badLines: BadLine[] = [];
  private badLineCount = 0;
  private skipped = 0;
  private skippedSamples = 0;
  private skippedFiles = 0;
  private readonly unknownTypes: Record<string, number> = Object.create(null) as Record<
    string,
    number
  >;
  private unknownTypeCount = 0;
  private records = 0;
  private stoppedEarly = false;
  private lines = 0;
  private pendingLast: { line: number; reason: string } | undefined;

  constructor(private readonly maxRecords = MAX_RECORDS) {}

  /** Whether more records are wanted (false once maxRecords were read). */
  get full(): boolean {
    return this.records >= this.maxRecords;
  }

  /** A line that was too long to keep (the file layer drops its bytes). */
  overlong(lineNo: number): void {
    this.lines = Math.max(this.lines, lineNo);
    this.flushPending();
    this.bad(lineNo, `longer than ${MAX_LINE_BYTES / (1 << 20)} MiB`);
  }

  line(text: string, lineNo: number): void {
    this.lines = Math.max(this.lines, lineNo);
    this.flushPending();
    const trimmed = text.trim();
    if (trimmed === "") return;
    if (this.full) {
      this.stoppedEarly = true;
      return;
    }
    let value: Json;
    try {
      value = JSON.parse(trimmed) as Json;
    } catch {
      this.pendingLast = { line: lineNo, reason: "not JSON" };
      return;
    }
    if (!isObject(value)) return this.bad(lineNo, "not a JSON object");
    const problem = this.record(value);
    if (problem) this.bad(lineNo, problem);
    else this.records++;
  }

  /**
   * Ends the file: `terminated` says whether its last byte was a newline, `stopped` that the
   * file layer stopped reading because the reader was full.
   */
  finish(terminated: boolean, stopped = false): RunMetrics {
    if (stopped) this.stoppedEarly = true;
    let truncated = false;
    if (this.pendingLast) {
      if (terminated) this.flushPending();
      else {
        truncated = true;
        this.pendingLast = undefined;
      }
    }
    const bySteps = <T>(m: Map<number, T>): [number, T][] =>
      [...m.entries()].sort((a, b) => a[0] - b[0]);
    return {
      steps: bySteps(this.steps).map(([, r]) => r),
      evals: bySteps(this.evals).map(([step, values]) => ({ step, values })),
      evalTasks: [...this.evalTasks].sort((a, b) => a.step - b.step),
      skipped: this.skipped,
      skippedSamples: this.skippedSamples,
      skippedFiles: this.skippedFiles,
      badLines: this.badLines,
      badLineCount: this.badLineCount,
      truncatedLastLine: truncated,
      unknownTypes: { ...this.unknownTypes },
      stoppedEarly: this.stoppedEarly,
      recordLimit: this.maxRecords,
      lines: this.lines,
    };
  }

  private flushPending(): void {
    if (!this.pendingLast) return;
    this.bad(this.pendingLast.line, this.pendingLast.reason);
    this.pendingLast = undefined;
  }

  private bad(line: number, reason: string): void {
    this.badLineCount++;
    if (this.badLines.length < MAX_BAD_LINES_KEPT) this.badLines.push({ line, reason });
  }

  /** Files one record; returns why it is not valid, if it is not. */
  private record(r: { [key: string]: Json }): string | undefined {
    const type = r["type"];
    if (typeof type !== "string") return "no `type` field";
    const step = num(r["step"]);
    const validStep = step !== undefined && Number.isInteger(step) && step >= 0;
    switch (type) {
      case "step": {
        const loss = num(r["loss"]);
        if (!validStep) return "a step record without a whole, non-negative `step`";
        if (loss === undefined) return "a step record without a finite `loss`";
        const rec: { -readonly [K in keyof StepRecord]: StepRecord[K] } = { step, loss };
        const optional = [
          ["crossEntropy", "cross_entropy"],
          ["lr", "lr"],
          ["gradNorm", "grad_norm"],
          ["tokensPerSecond", "tokens_per_second"],
          ["stepSeconds", "step_seconds"],
        ] as const;
        for (const [field, key] of optional) {
          const v = num(r[key]);
          if (v !== undefined) rec[field] = v;
        }
        this.steps.set(step, rec);
        return undefined;
      }
      case "eval": {
        if (!validStep) return "an eval record without a whole, non-negative `step`";
        const values: Record<string, number> = Object.create(null) as Record<string, number>;
        let n = 0;
        for (const [k, v] of Object.entries(r)) {
          const x = num(v);
          if (k === "step" || k === "type" || x === undefined || n >= MAX_KEYS) continue;
          values[clip(k, MAX_NAME)] = x;
          n++;
        }
        this.evals.set(step, values);
        return undefined;
      }
      case "eval_task": {
        const task = r["task"];
        const metric = r["metric"];
        const shots = num(r["shots"]);
        const value = num(r["value"]);
        if (!validStep) return "an eval_task record without a whole, non-negative `step`";
        if (typeof task !== "string" || task === "") return "an eval_task record without `task`";
        if (typeof metric !== "string" || metric === "")
          return "an eval_task record without `metric`";
        if (shots === undefined || !Number.isInteger(shots) || shots < 0)
          return "an eval_task record without a whole `shots`";
        if (value === undefined) return "an eval_task record without a finite `value`";
        const rec = {
          step,
          task: clip(task, MAX_NAME),
          shots,
          metric: clip(metric, MAX_NAME),
          value,
        };
        const key = evalTaskKey(rec);
        if (!this.taskKeys.has(key)) {
          if (this.taskKeys.size >= MAX_KEYS) return `more than ${MAX_KEYS} eval_task series`;
          this.taskKeys.add(key);
        }
        this.evalTasks.push(rec);
        return undefined;
      }
      case "skipped": {
        const samples = num(r["samples"]);
        const files = num(r["files"]);
        if (samples === undefined && files === undefined) {
          this.skipped++;
          return undefined;
        }
        // counts: whole and non-negative, else the line is not one the runtime wrote
        for (const x of [samples, files])
          if (x !== undefined && (!Number.isSafeInteger(x) || x < 0))
            return "a skipped record whose `samples` or `files` is not a whole count";
        this.skippedSamples += samples ?? 0;
        this.skippedFiles += files ?? 0;
        return undefined;
      }
      default: {
        const name = clip(type, MAX_NAME);
        if (name in this.unknownTypes) this.unknownTypes[name]!++;
        else if (this.unknownTypeCount < MAX_KEYS) {
          this.unknownTypes[name] = 1;
          this.unknownTypeCount++;
        } else return `more than ${MAX_KEYS} unknown record types`;
        return undefined;
      }
    }
  }
}

/** The metric name an eval_task series reports under: `task.metric.Nshot` (`coco.cider.8shot`). */
export function evalTaskKey(r: { task: string; metric: string; shots: number }): string {
  return `${r.task}.${r.metric}.${r.shots}shot`;
}

/** Parses a whole metrics.jsonl text (the file layer streams instead; tests use this). */
export function parseMetrics(text: string, maxRecords = MAX_RECORDS): RunMetrics {
  const reader = new MetricsReader(maxRecords);
  const lines = text === "" ? [] : text.split("\n");
  const terminated = text === "" || text.endsWith("\n");
  if (terminated) lines.pop();
  lines.forEach((l, i) => reader.line(l, i + 1));
  return reader.finish(terminated);
}
