// The block reader (src/check/block.ts): every settings block reports unknown fields with a
// did-you-mean, fields given twice, wrong types and values out of range, each at the text that
// is wrong; unwritten fields take the defaults of the tables in src/spec/settings.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { checkFile } from "../../src/pipeline.js";
import { defaultNumber, defaultOf } from "../../src/spec/fields.js";
import {
  CHECKPOINT_SETTINGS,
  EVAL_SETTINGS,
  OPTIMIZER_SETTINGS,
  SCHEDULE_SETTINGS,
  TRAIN_SETTINGS,
} from "../../src/spec/settings.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-block-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, "_model.mm"),
  readFileSync(join("test", "golden", "train", "_model.mm"), "utf8"),
);

let n = 0;
function check(body: string): { text: string; diagnostics: readonly Diagnostic[]; file: string } {
  const file = join(dir, `case-${n++}.mm`);
  const text = `import { Small, Synthetic } from "./_model.mm"\n\ntrain t {\n  model: Small\n  data: Synthetic\n${body}\n}\n`;
  writeFileSync(file, text);
  const r = checkFile(file, fileHost);
  return { text, diagnostics: r.diagnostics, file };
}

/** The one diagnostic with `code`, and the source text under its primary label. */
function only(r: ReturnType<typeof check>, code: string): { d: Diagnostic; at: string } {
  const ds = r.diagnostics.filter((d) => d.code === code);
  expect(ds.map((d) => d.message)).toHaveLength(1);
  const d = ds[0]!;
  const primary = d.labels.find((l) => l.primary)!;
  return { d, at: r.text.slice(primary.span.start, primary.span.end) };
}

describe("unknown fields", () => {
  it.each([
    ["train", "  stpes: 10", "`train t` has no field `stpes`", "stpes", "`steps`"],
    ["optimizer", "  optimizer: AdamW { lrr: 1e-3 }", "`AdamW` has no field `lrr`", "lrr", "`lr`"],
    [
      "schedule",
      "  schedule: Cosine { warmpu: 10 }",
      "`Cosine` has no field `warmpu`",
      "warmpu",
      "`warmup`",
    ],
    [
      "checkpoint",
      '  checkpoint: { evrey: 10, dir: "runs/t" }',
      "`checkpoint` has no field `evrey`",
      "evrey",
      "`every`",
    ],
    ["eval", "  eval: { batchs: 2 }", "`eval` has no field `batchs`", "batchs", "`batches`"],
  ])("in %s: reported at the name, with a did-you-mean", (_block, body, message, at, hint) => {
    const got = only(check(body), "MM2007");
    expect(got.d.message).toBe(message);
    expect(got.at).toBe(at);
    expect(got.d.help).toContain(hint);
  });

  it("a field of another schedule is unknown to `Constant` (its table lists only `warmup`)", () => {
    const got = only(check("  schedule: Constant { final: 50% }"), "MM2007");
    expect(got.d.message).toBe("`Constant` has no field `final`");
    expect(got.d.notes.join(" ")).toContain("`warmup`");
  });
});

describe("fields given twice", () => {
  it.each([
    ["train", "  steps: 10\n  steps: 20", "`train t.steps` is given twice", "steps: 20"],
    [
      "optimizer",
      "  optimizer: AdamW { lr: 1e-3, lr: 2e-3 }",
      "`AdamW.lr` is given twice",
      "lr: 2e-3",
    ],
    ["eval", "  eval: { every: 5, every: 6 }", "`eval.every` is given twice", "every: 6"],
  ])("in %s: at the second, the first as the secondary label", (_b, body, message, at) => {
    const got = only(check(body), "MM2008");
    expect(got.d.message).toBe(message);
    expect(got.at).toBe(at);
    expect(got.d.labels.filter((l) => !l.primary).map((l) => l.message)).toEqual([
      "first given here",
    ]);
  });
});

describe("types and ranges from the tables", () => {
  it.each([
    ['  batch: "8"', "MM2009", "`batch` must be a whole number, not", '"8"'],
    [
      "  log_every: 0",
      "MM2010",
      "`log_every` is 0, but it must be a whole number, at least 1",
      "0",
    ],
    ["  optimizer: AdamW { lr: 0 }", "MM2010", "`optimizer.lr` is 0", "0"],
    ["  optimizer: AdamW { clip: -1 }", "MM2010", "`optimizer.clip` is -1", "-1"],
    ["  schedule: Linear { final: 150% }", "MM2010", "`schedule.final` is 150%", "150%"],
    ['  checkpoint: { keep: 0, dir: "runs/t" }', "MM2010", "`checkpoint.keep` is 0", "0"],
    ["  eval: { batches: 1.5 }", "MM2010", "`eval.batches` is 1.5", "1.5"],
    ["  steps: 2_000_000_000_000", "MM2010", "the most mmc accepts", "2_000_000_000_000"],
    ["  precision: fp16", "MM2009", "`precision` must be `fp32`, `bf16` or `mixed`", "fp16"],
  ])("`%s`: %s at the value", (body, code, message, at) => {
    const got = only(check(body), code);
    expect(got.d.message).toContain(message);
    expect(got.at).toBe(at);
  });

  it("a wrong word with a reason of its own says it (the table's hint)", () => {
    expect(only(check("  precision: fp16"), "MM2009").d.help).toContain(
      "fp16 training is not supported",
    );
  });

  it("reports every wrong block in one pass", () => {
    const r = check(
      "  stpes: 1\n  optimizer: AdamW { eps: 0 }\n  eval: { every: 0 }\n  schedule: Cosine { final: 2 }",
    );
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual([
      "MM2007",
      "MM2010",
      "MM2010",
      "MM2010",
    ]);
  });
});

describe("defaults come from the tables", () => {
  it("a train that writes only model and data gets every table default", () => {
    const file = join(dir, "defaults.mm");
    writeFileSync(
      file,
      `import { Small, Synthetic } from "./_model.mm"\n\ntrain t {\n  model: Small\n  data: Synthetic\n  sequence: 256\n  checkpoint: { dir: "runs/t" }\n}\n`,
    );
    const r = checkFile(file, fileHost);
    expect(r.diagnostics).toEqual([]);
    const t = r.checked!.trains[0]!;
    expect(t.steps).toBe(defaultNumber(TRAIN_SETTINGS, "steps"));
    expect(t.batch).toBe(defaultNumber(TRAIN_SETTINGS, "batch"));
    expect(t.seed).toBe(defaultNumber(TRAIN_SETTINGS, "seed"));
    expect(t.logEvery).toBe(defaultNumber(TRAIN_SETTINGS, "log_every"));
    expect(t.precision).toBe(defaultOf(TRAIN_SETTINGS, "precision"));
    expect(t.optimizer.lr).toBe(defaultNumber(OPTIMIZER_SETTINGS, "lr"));
    expect(t.optimizer.weightDecay).toBe(defaultNumber(OPTIMIZER_SETTINGS, "weight_decay"));
    expect(t.optimizer.eps).toBe(defaultNumber(OPTIMIZER_SETTINGS, "eps"));
    expect(t.optimizer.clip).toBe(defaultNumber(OPTIMIZER_SETTINGS, "clip"));
    expect(t.schedule).toEqual({
      kind: "cosine",
      warmup: defaultNumber(SCHEDULE_SETTINGS, "warmup"),
      final: defaultNumber(SCHEDULE_SETTINGS, "final"),
    });
    expect(t.checkpoint).toEqual({
      every: defaultNumber(CHECKPOINT_SETTINGS, "every"),
      dir: "runs/t",
      keep: defaultNumber(CHECKPOINT_SETTINGS, "keep"),
    });
    expect(t.eval).toEqual({
      every: defaultNumber(EVAL_SETTINGS, "every"),
      batches: defaultNumber(EVAL_SETTINGS, "batches"),
    });
    // and the sanity of the numbers themselves (the tables are what docs/language.md says)
    expect([t.steps, t.batch, t.optimizer.lr, t.checkpoint!.keep]).toEqual([1000, 8, 3e-4, 3]);
  });
});
