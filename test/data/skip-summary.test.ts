// The end-of-run summary of skipped samples per source and reason: its wording, that it counts
// exactly what was warned about, and that `mmc run` prints it and writes it to metrics.jsonl and
// `mmc data inspect` shows it, with `roots` carried from the spec to the generated data spec.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, test } from "vitest";
import {
  IssueSink,
  openDataStream,
  renderSkipSummary,
  skipRecord,
  skipSummary,
  type DataIssue,
  type DataSpec,
} from "../../src/runtime/data/index.js";
import { inspect, renderInspect } from "../../src/runtime/data-tools/index.js";
import { mmc } from "../cli/run-mmc.js";
import { torchPython } from "../pytorch/python.js";
import { solidPng, tempDir, writeJsonl } from "./fixtures.js";
import { forgedPng } from "./forged-images.js";

const dir = tempDir();

function issue(source: string, code: DataIssue["code"], scope?: "file"): DataIssue {
  return { source, code, file: "f", message: "m", ...(scope ? { scope } : {}) };
}

describe("the skip summary", () => {
  it("counts samples and files per source and reason, and names sources left out", () => {
    const sink = new IssueSink();
    for (const i of [
      issue("caption", "outside-data-folder"),
      issue("caption", "corrupt-image"),
      issue("caption", "corrupt-image"),
      issue("caption", "missing-file", "file"),
      issue("caption", "missing-file"),
      issue("caption", "repeated-source"),
      issue("interleaved", "line-too-long"),
      issue("text", "malformed-json"),
      issue("text", "empty-source"),
    ])
      sink.report(i);
    const summary = skipSummary(sink);
    expect(renderSkipSummary(summary)).toBe(
      "skipped 6 samples: caption 4 (corrupt image 2, missing file 1, path outside the data folder 1), " +
        "interleaved 1 (line too long 1), text 1 (malformed JSON 1); " +
        "skipped 1 file: caption 1 (missing file 1); " +
        "left out of the mixture (nothing usable): text",
    );
    expect(skipRecord(summary)).toEqual({
      type: "skipped",
      samples: 6,
      files: 1,
      sources: {
        caption: {
          samples: { "outside-data-folder": 1, "corrupt-image": 2, "missing-file": 1 },
          files: { "missing-file": 1 },
        },
        interleaved: { samples: { "line-too-long": 1 }, files: {} },
        text: { samples: { "malformed-json": 1 }, files: {}, left_out: true },
      },
    });
  });

  it("says nothing when nothing was skipped (advice alone is not a skip)", () => {
    const sink = new IssueSink();
    sink.report(issue("caption", "repeated-source"));
    expect(renderSkipSummary(skipSummary(sink))).toBeUndefined();
    expect(skipRecord(skipSummary(sink))).toEqual({
      type: "skipped",
      samples: 0,
      files: 0,
      sources: {},
    });
  });

  it("counts exactly the issues a stream warned about, past the warning cap", async () => {
    writeFileSync(join(dir, "ok.png"), solidPng([9, 9, 9]));
    writeFileSync(join(dir, "huge.png"), forgedPng(20000, 20000));
    writeJsonl(join(dir, "cap.jsonl"), [
      { image: "ok.png", caption: "fine" },
      { image: "/etc/passwd", caption: "out" },
      { image: "huge.png", caption: "forged" },
      "{not json",
    ]);
    writeJsonl(join(dir, "il.jsonl"), [{ texts: ["t", null], images: [null, "../../x.png"] }]);
    const spec: DataSpec = {
      name: "mix",
      baseDir: dir,
      sources: [
        { name: "caption", kind: "caption", format: "jsonl", path: "cap.jsonl", weight: 0.5 },
        {
          name: "interleaved",
          kind: "interleaved",
          format: "jsonl",
          path: "il.jsonl",
          weight: 0.5,
        },
      ],
      weighting: "samples",
      imagesPerSequence: 2,
      tokenizer: { kind: "bytes" },
      seed: 1,
    };
    const seen = new Map<string, number>();
    const stream = openDataStream(spec, {
      sequence: 64,
      imageTokens: 4,
      maxWarningsPerKind: 2, // the summary still counts what is no longer printed
      onWarning: () => {},
    });
    const sink = stream.issues;
    const report = sink.report.bind(sink);
    sink.report = (i) => {
      if (i.code !== "repeated-source")
        seen.set(`${i.source}/${i.code}`, (seen.get(`${i.source}/${i.code}`) ?? 0) + 1);
      report(i);
    };
    try {
      for (let i = 0; i < 20; i++) await stream.nextSequence();
    } finally {
      await stream.close();
    }
    const summary = skipSummary(sink);
    const counted = new Map<string, number>();
    for (const s of summary.sources)
      for (const [code, n] of Object.entries({ ...s.samples }))
        counted.set(`${s.source}/${code}`, n);
    expect(counted).toEqual(seen);
    expect(seen.get("caption/outside-data-folder")).toBeGreaterThan(2);
  });

  it("is shown by `inspect`, as a run prints it", async () => {
    const spec: DataSpec = {
      name: "cap",
      baseDir: dir,
      sources: [
        { name: "caption", kind: "caption", format: "jsonl", path: "cap.jsonl", weight: 1 },
      ],
      weighting: "samples",
      imagesPerSequence: 2,
      tokenizer: { kind: "bytes" },
    };
    const result = await inspect(spec, { samples: 30, imageTokens: 4, sequence: 64 });
    const line = renderSkipSummary(result.skipped);
    expect(line).toMatch(/^skipped \d+ samples: caption \d+ \(/);
    expect(line).toMatch(/image too large \d+/);
    expect(renderInspect(result).split("\n")).toContain(line);
  });
});

describe("through the command line", () => {
  const project = join(dir, "project");
  const spec = join(project, "hostile.mm");
  mkdirSync(join(project, "data"), { recursive: true });
  mkdirSync(join(project, "shared"), { recursive: true });
  writeFileSync(join(project, "shared", "kept.png"), solidPng([0, 0, 250], 32, 32));
  writeFileSync(join(project, "data", "local.png"), solidPng([250, 0, 0], 32, 32));
  writeFileSync(join(project, "data", "forged.png"), forgedPng(20000, 20000));
  if (process.platform !== "win32") execFileSync("mkfifo", [join(project, "data", "fifo.png")]);
  writeJsonl(join(project, "data", "captions.jsonl"), [
    { image: "local.png", caption: "a red square" },
    { image: "../shared/kept.png", caption: "a blue square, allowed by roots" },
    { image: "/dev/zero", caption: "zero" },
    { image: "fifo.png", caption: "a pipe" },
    { image: "forged.png", caption: "forged" },
  ]);
  writeJsonl(join(project, "data", "text.jsonl"), [{ text: "some text to read" }, "[1]"]);
  writeFileSync(
    spec,
    `import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Micro {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, mlp: swiglu(64), context: 128 }
}

data Hostile {
  caption: 80% jsonl("data/captions.jsonl")
  text: 20% jsonl("data/text.jsonl", field: "text")
  images_per_sequence: 2
  roots: ["shared"]
}

train micro {
  model: Micro
  data: Hostile
  steps: 2, batch: 2, sequence: 64, seed: 3
  optimizer: AdamW { lr: 1e-3 }
  schedule: Cosine { warmup: 1, final: 10% }
  log_every: 1
}
`,
  );

  test("`mmc run` prints the summary at the end and writes it to metrics.jsonl", () => {
    const r = mmc(["run", spec, "--backend", "cpu"], { cwd: project });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const summary = lines.find((l) => l.startsWith("data: skipped"));
    expect(summary).toMatch(
      /^data: skipped \d+ samples: caption \d+ \(.*image too large \d+.*not a regular file \d+.*path outside the data folder \d+.*\), text \d+ \(missing fields \d+\)$/,
    );
    expect(lines.indexOf(summary!)).toBeGreaterThan(
      lines.findIndex((l) => l.startsWith("finished")),
    );
    expect(r.stdout).not.toMatch(/kept\.png/); // allowed by `roots`
    const records = readFileSync(join(project, "runs", "micro", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = records[records.length - 1]!;
    expect(last["type"]).toBe("skipped");
    const caption = (last["sources"] as Record<string, { samples: Record<string, number> }>)[
      "caption"
    ];
    expect(Object.keys(caption!.samples).sort()).toEqual([
      "image-too-large",
      "not-regular-file",
      "outside-data-folder",
    ]);
    const generated = readFileSync(join(project, ".mmc", "hostile", "data.ts"), "utf8");
    expect(generated).toContain('roots: ["shared"]');
  });

  const python = torchPython("train.py's skipped-samples record");
  test.skipIf(python === undefined)(
    "train.py ends with the same summary line and the same record",
    () => {
      const metrics = join(project, "runs", "micro", "metrics.jsonl");
      const lastRecord = (): unknown =>
        readFileSync(metrics, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as unknown)
          .at(-1);
      const ts = mmc(["run", spec, "--backend", "cpu", "--fresh"], { cwd: project });
      expect(ts.status).toBe(0);
      const tsRecord = lastRecord();
      const tsLine = ts.stdout.split("\n").find((l) => l.startsWith("data: skipped"));
      const py = mmc(["run", spec, "--target", "pytorch", "--fresh"], {
        cwd: project,
        env: { MMC_PYTHON: python! },
      });
      expect(py.stderr).not.toMatch(/Traceback/);
      expect(py.status).toBe(0);
      const lines = py.stdout.trim().split("\n");
      const pyLine = lines.find((l) => l.startsWith("data: skipped"));
      expect(pyLine).toBeDefined();
      expect(pyLine).toBe(tsLine);
      expect(lines.indexOf(pyLine!)).toBeGreaterThan(
        lines.findIndex((l) => l.startsWith("finished")),
      );
      expect(lastRecord()).toEqual(tsRecord);
      expect((tsRecord as { samples: number }).samples).toBeGreaterThan(0);
    },
    240_000,
  );

  test("`mmc data inspect` shows the same summary", () => {
    const r = mmc(["data", "inspect", spec, "--samples", "40"], { cwd: project });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nskipped \d+ samples: caption \d+ \(.*path outside the data folder/);
    expect(r.stdout).not.toMatch(/kept\.png/);
  });

  test("a held-out source with nothing usable is a clear error, not an internal one", () => {
    writeJsonl(join(project, "data", "held.jsonl"), [{ image: "/etc/passwd", caption: "x" }]);
    const held = join(project, "held.mm");
    writeFileSync(
      held,
      readFileSync(spec, "utf8")
        .replace("  roots:", '  heldout: jsonl("data/held.jsonl", kind: caption)\n  roots:')
        .replace("  log_every: 1", "  eval: { every: 1, batches: 1 }\n  log_every: 1"),
    );
    for (const strict of [[], ["--strict"]]) {
      // --fresh: the first test's run is in runs/micro (a new run into it is refused otherwise)
      const r = mmc(["run", held, "--backend", "cpu", "--fresh", ...strict], { cwd: project });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: data/);
      expect(r.stderr).toMatch(/heldout|held out/);
    }
  });

  test("`--strict` turns the first refusal into an error naming the line", () => {
    const r = mmc(["run", spec, "--backend", "cpu", "--strict", "--fresh"], { cwd: project });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error: data\[[a-z-]+\] source `(caption|text)`: .*data\/(captions|text)\.jsonl: line \d/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
