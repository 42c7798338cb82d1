// metrics.jsonl reading: realistic records, bad and truncated lines, unknown types, resumes,
// the streaming file layer against the whole-text parser, and hostile input that must not crash.
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { MAX_LINE_BYTES, parseMetrics } from "../../src/report/metrics.js";
import { metricsNotes } from "../../src/report/model.js";
import { readMetricsFile } from "../../src/report/read.js";
import { runRecords, writeRun, type StepLine } from "./fixtures.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "mmc-metrics-"));
const jsonl = (records: object[]): string =>
  records.map((r) => JSON.stringify(r)).join("\n") + "\n";

describe("parseMetrics", () => {
  test("reads the records the driver writes", () => {
    const records = runRecords({ steps: 50, evalEvery: 20, tasks: true, moe: true });
    const m = parseMetrics(jsonl(records));
    const steps = records.filter((r): r is StepLine => (r as StepLine).type === "step");
    expect(m.steps).toHaveLength(50);
    expect(m.steps[49]).toEqual({
      step: 50,
      loss: steps[49]!.loss,
      crossEntropy: steps[49]!.cross_entropy,
      lr: steps[49]!.lr,
      gradNorm: steps[49]!.grad_norm,
      tokensPerSecond: steps[49]!.tokens_per_second,
      stepSeconds: steps[49]!.step_seconds,
    });
    expect(m.evals.map((e) => e.step)).toEqual([20, 40, 50]);
    expect(Object.keys(m.evals[0]!.values).sort()).toEqual([
      "caption_accuracy",
      "caption_accuracy_shuffled_images",
      "caption_loss",
      "caption_loss_shuffled_images",
      "targets",
    ]);
    expect(m.evalTasks).toHaveLength(9);
    expect(m.evalTasks[0]).toMatchObject({ task: "coco", shots: 0, metric: "cider", step: 20 });
    expect(m.badLineCount).toBe(0);
    expect(m.truncatedLastLine).toBe(false);
  });

  test("counts bad lines with their numbers and reasons, and keeps the good ones", () => {
    const text = [
      '{"type":"step","step":1,"loss":3.5}',
      "not json at all",
      "[1, 2, 3]",
      '{"step":2,"loss":3}',
      '{"type":"step","loss":3}',
      '{"type":"step","step":2,"loss":null}',
      '{"type":"step","step":-1,"loss":1}',
      '{"type":"eval","caption_loss":2}',
      '{"type":"eval_task","step":3,"task":"coco","shots":"4","metric":"cider","value":1}',
      "",
      '{"type":"step","step":3,"loss":3.25}',
      "",
    ].join("\n");
    const m = parseMetrics(text);
    expect(m.steps.map((s) => s.step)).toEqual([1, 3]);
    expect(m.badLineCount).toBe(8);
    expect(m.badLines.map((b) => b.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(m.badLines[0]!.reason).toBe("not JSON");
    expect(m.badLines[1]!.reason).toBe("not a JSON object");
    expect(m.badLines[2]!.reason).toBe("no `type` field");
    expect(m.badLines[4]!.reason).toMatch(/finite `loss`/);
    expect(m.truncatedLastLine).toBe(false);
  });

  test("a last line cut off mid-record is a truncated line, not a bad one", () => {
    const whole = jsonl(runRecords({ steps: 10 }));
    const cut = whole + '{"type":"step","step":11,"lo';
    const m = parseMetrics(cut);
    expect(m.steps).toHaveLength(10);
    expect(m.truncatedLastLine).toBe(true);
    expect(m.badLineCount).toBe(0);
    // A complete last record without its newline is read.
    const unterminated = parseMetrics(whole + '{"type":"step","step":11,"loss":1}');
    expect(unterminated.steps).toHaveLength(11);
    expect(unterminated.truncatedLastLine).toBe(false);
    // The same cut line in the middle of the file is a bad line.
    const middle = parseMetrics(cut + "\n" + '{"type":"step","step":12,"loss":1}\n');
    expect(middle.truncatedLastLine).toBe(false);
    expect(middle.badLineCount).toBe(1);
  });

  test("ignores unknown types, counts skipped steps", () => {
    const m = parseMetrics(
      jsonl([
        { type: "step", step: 1, loss: 2 },
        { type: "skipped", step: 2, reason: "non-finite loss" },
        { type: "future_thing", x: 1 },
        { type: "future_thing", x: 2 },
        { type: "checkpoint", step: 2 },
      ]),
    );
    expect(m.steps).toHaveLength(1);
    expect(m.skipped).toBe(1);
    expect(m.unknownTypes).toEqual({ future_thing: 2, checkpoint: 1 });
    expect(m.badLineCount).toBe(0);
  });

  test("the data loader's skip summaries are summed, not counted as skipped steps", () => {
    // what src/runtime/data/skip-summary.ts writes at the end of each session, zeros included
    const record = (samples: number, files: number) => ({
      type: "skipped",
      samples,
      files,
      sources: { caption: { samples, files } },
    });
    const m = parseMetrics(
      jsonl([{ type: "step", step: 1, loss: 2 }, record(0, 0), record(3, 1), record(2, 0)]),
    );
    expect([m.skipped, m.skippedSamples, m.skippedFiles]).toEqual([0, 5, 1]);
    expect(metricsNotes(m)).toEqual([
      "the data loader skipped 5 unreadable samples and 1 unreadable file",
    ]);
    const quiet = parseMetrics(jsonl([{ type: "step", step: 1, loss: 2 }, record(0, 0)]));
    expect(metricsNotes(quiet)).toEqual([]);
    const bad = parseMetrics(jsonl([{ type: "skipped", samples: -1, files: 0 }]));
    expect(bad.badLineCount).toBe(1);
  });

  test("a step logged twice keeps its later record, in step order", () => {
    const m = parseMetrics(
      jsonl([
        { type: "step", step: 1, loss: 5 },
        { type: "step", step: 2, loss: 4 },
        { type: "step", step: 3, loss: 3 },
        { type: "step", step: 2, loss: 4.5 },
        { type: "step", step: 3, loss: 3.5 },
      ]),
    );
    expect(m.steps.map((s) => [s.step, s.loss])).toEqual([
      [1, 5],
      [2, 4.5],
      [3, 3.5],
    ]);
  });

  test("stops at the record limit and says so", () => {
    const m = parseMetrics(jsonl(runRecords({ steps: 30, evalEvery: 100 })), 10);
    expect(m.steps).toHaveLength(10);
    expect(m.stoppedEarly).toBe(true);
  });

  test("caps the number of distinct unknown types and eval_task series", () => {
    const lines = Array.from({ length: 150 }, (_, i) => ({ type: `t${i}` }));
    const tasks = Array.from({ length: 150 }, (_, i) => ({
      type: "eval_task",
      step: 1,
      task: `task${i}`,
      shots: 0,
      metric: "accuracy",
      value: 0.5,
    }));
    const m = parseMetrics(jsonl([...lines, ...tasks]));
    expect(Object.keys(m.unknownTypes)).toHaveLength(100);
    expect(new Set(m.evalTasks.map((t) => t.task)).size).toBe(100);
    expect(m.badLineCount).toBe(100);
  });

  test("never throws, whatever the text", () => {
    const line = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc
        .record({
          type: fc.constantFrom("step", "eval", "eval_task", "skipped", "x"),
          step: fc.oneof(fc.integer(), fc.double(), fc.string()),
          loss: fc.oneof(fc.double(), fc.constant(null), fc.string()),
          task: fc.string(),
          shots: fc.integer(),
          metric: fc.string(),
          value: fc.double(),
        })
        .map((r) => JSON.stringify(r)),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, newline) => {
        const m = parseMetrics(lines.join("\n") + (newline ? "\n" : ""));
        return m.steps.every((s) => Number.isFinite(s.loss) && Number.isInteger(s.step));
      }),
      { numRuns: 50 },
    );
  });
});

describe("readMetricsFile (streaming)", () => {
  test("reads what parseMetrics reads, at any chunk size", () => {
    const dir = tmp();
    const path = join(dir, "metrics.jsonl");
    const line = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc
        .record({
          step: fc.nat(1000),
          loss: fc.double({ noNaN: true, noDefaultInfinity: true }),
          note: fc.string({ unit: "grapheme" }),
        })
        .map((r) => JSON.stringify({ type: "step", ...r })),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 30 }),
        fc.constantFrom("\n", "\r\n"),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        (lines, eol, terminated, chunkBytes) => {
          const text = lines.join(eol) + (terminated ? eol : "");
          writeFileSync(path, text);
          expect(readMetricsFile(path, { chunkBytes })).toEqual(parseMetrics(text));
        },
      ),
      { numRuns: 60 },
    );
  });

  test("a line past the length cap is one bad line; the lines around it are read", () => {
    const dir = tmp();
    const path = join(dir, "metrics.jsonl");
    const huge = `{"type":"step","step":2,"loss":1,"pad":"${"x".repeat(MAX_LINE_BYTES)}"}`;
    writeFileSync(
      path,
      ['{"type":"step","step":1,"loss":2}', huge, '{"type":"step","step":3,"loss":0.5}', ""].join(
        "\n",
      ),
    );
    const m = readMetricsFile(path);
    expect(m.steps.map((s) => s.step)).toEqual([1, 3]);
    expect(m.badLines).toEqual([{ line: 2, reason: "longer than 1 MiB" }]);
  });

  test("a run folder from the fixture generator reads back whole", () => {
    const dir = tmp();
    const records = writeRun(dir, { steps: 200, tasks: true });
    const m = readMetricsFile(join(dir, "metrics.jsonl"));
    expect(m.steps).toHaveLength(200);
    expect(m.evals.length + m.evalTasks.length + m.steps.length).toBe(records.length);
  });
});
