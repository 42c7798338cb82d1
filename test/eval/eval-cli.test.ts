// `mmc eval` end to end on the synthetic held-out split with a model trained two steps. The scores
// are near zero; what is checked is the pipeline: the shots are chosen by the seed, reproducibly,
// never showing the query's image; every per-sample score recomputes with src/metrics and their
// mean is the reported value; the table, `--json` and the `eval_task` records agree.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { cocoCiderD, numpyMean, vqaAccuracy } from "../../src/metrics/index.js";
import {
  chooseQueries,
  chooseShots,
  type EvalSample,
} from "../../src/runtime/generate/eval-samples.js";
import { mmc, ROOT } from "../generate/spawn-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-eval-"));
const spec = join(dir, "micro.mm");
copyFileSync(join(ROOT, "test", "generate", "fixtures", "micro.mm"), spec);
const reseeded = join(dir, "reseeded.mm");
const checkpoint = join(dir, "runs", "micro");

interface Sample {
  index: number;
  id: number;
  image: string;
  shots: number[];
  prompt: string;
  prediction: string;
  references: string[];
  score: number;
}

const jsonl = <T>(path: string): T[] =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as T);

interface Aggregate {
  step: number;
  out: string;
  results: { task: string; shots: number; metric: string; value: number; samples: number }[];
}

function evaluate(file: string, out: string, extra: string[] = []): Aggregate {
  const r = mmc([
    "eval",
    file,
    "--checkpoint",
    checkpoint,
    "--backend",
    "cpu",
    "--json",
    "--out",
    out,
    ...extra,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Aggregate;
}

beforeAll(() => {
  const r = mmc(["run", spec, "--backend", "cpu", "--steps", "2"]);
  expect(r.status, r.stderr).toBe(0);
  writeFileSync(
    reseeded,
    readFileSync(spec, "utf8").replaceAll("seed: 1, max_tokens", "seed: 2, max_tokens"),
  );
}, 600_000);

describe("mmc eval", () => {
  test("scores recompute, shots follow the seed, records agree", () => {
    const a = evaluate(spec, join(dir, "a"));
    expect(a.step).toBe(2);
    expect(a.results.map((r) => [r.task, r.shots, r.metric, r.samples])).toEqual([
      ["captioning", 0, "cider", 6],
      ["captioning", 2, "cider", 6],
      ["vqa", 0, "accuracy", 6],
      ["vqa", 2, "accuracy", 6],
    ]);
    for (const r of a.results) {
      const samples = jsonl<Sample>(join(dir, "a", `${r.task}-${r.shots}shot.jsonl`));
      expect(samples).toHaveLength(6);
      const scores =
        r.task === "captioning"
          ? cocoCiderD(samples.map((s) => ({ references: s.references, hypothesis: s.prediction })))
              .scores
          : samples.map((s) => vqaAccuracy(s.prediction, s.references));
      expect(samples.map((s) => s.score)).toEqual(scores);
      expect(numpyMean(scores)).toBe(r.value);
      for (const s of samples) {
        expect(s.shots).toHaveLength(r.shots);
        expect(new Set(s.shots).size).toBe(r.shots);
        expect(s.prompt.split("<image>").length - 1).toBe(r.shots + 1);
        expect(s.references.length).toBeGreaterThan(0);
      }
    }
    const records = jsonl<Record<string, unknown>>(join(dir, "a", "eval.jsonl"));
    expect(records).toEqual(
      a.results.map((r) => ({
        type: "eval_task",
        step: 2,
        task: r.task,
        shots: r.shots,
        metric: r.metric,
        value: r.value,
      })),
    );

    // `mmc run` scored the tasks at step 2 (`eval.every`) on the model in memory: the same
    const during = jsonl<Record<string, unknown>>(join(checkpoint, "metrics.jsonl")).filter(
      (x) => x["type"] === "eval_task",
    );
    expect(during).toEqual(records);

    // the same seed: the same queries, shots and predictions; another seed: other shots
    const b = evaluate(spec, join(dir, "b"));
    expect(b.results.map((r) => r.value)).toEqual(a.results.map((r) => r.value));
    const shotsOf = (folder: string, name: string) =>
      jsonl<Sample>(join(dir, folder, name)).map((s) => [s.id, s.shots, s.prediction]);
    expect(shotsOf("b", "vqa-2shot.jsonl")).toEqual(shotsOf("a", "vqa-2shot.jsonl"));
    evaluate(reseeded, join(dir, "c"));
    expect(shotsOf("c", "vqa-2shot.jsonl")).not.toEqual(shotsOf("a", "vqa-2shot.jsonl"));
  }, 600_000);

  test("the table, the shuffled-images control and a train without tasks", () => {
    const r = mmc([
      "eval",
      spec,
      "--checkpoint",
      checkpoint,
      "--backend",
      "cpu",
      "--samples",
      "2",
      "--out",
      join(dir, "t"),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^task\s+0-shot\s+2-shot\ncaptioning cider\s+\d+\.\d\s+\d+\.\d\nvqa accuracy\s+\d+\.\d\s+\d+\.\d\n/,
    );
    const s = evaluate(spec, join(dir, "s"), ["--samples", "3", "--shuffle-images"]);
    const shuffled = jsonl<Sample>(join(dir, "s", "captioning-0shot.jsonl"));
    const plain = jsonl<Sample>(join(dir, "a", "captioning-0shot.jsonl")).slice(0, 3);
    expect(shuffled.map((x) => x.id)).toEqual(plain.map((x) => x.id));
    expect(shuffled.map((x) => x.image)).toEqual([
      plain[1]!.image,
      plain[2]!.image,
      plain[0]!.image,
    ]);
    expect(s.results).toHaveLength(4);
    const bare = join(dir, "bare.mm");
    writeFileSync(
      bare,
      readFileSync(spec, "utf8").replace(
        /eval: \{[^]*?\n  \}\n/,
        "eval: { every: 2, batches: 1 }\n",
      ),
    );
    const none = mmc(["eval", bare, "--checkpoint", checkpoint, "--backend", "cpu"]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/declares no benchmark task/);
  }, 600_000);
});

describe("mmc eval --batch-size and --no-images", () => {
  test("batched queries get the answers they get one by one; withheld images leave text only", () => {
    const one = evaluate(spec, join(dir, "b1"), ["--samples", "5"]);
    const many = evaluate(spec, join(dir, "b4"), ["--samples", "5", "--batch-size", "4"]);
    expect(many.results.map((r) => r.value)).toEqual(one.results.map((r) => r.value));
    for (const f of ["captioning-2shot.jsonl", "vqa-0shot.jsonl"])
      expect(jsonl<Sample>(join(dir, "b4", f))).toEqual(jsonl<Sample>(join(dir, "b1", f)));
    const withheld = evaluate(spec, join(dir, "n"), ["--samples", "5", "--no-images"]);
    expect((withheld as unknown as Record<string, unknown>)["images_withheld"]).toBe(true);
    const n = jsonl<Sample>(join(dir, "n", "vqa-2shot.jsonl"));
    const a = jsonl<Sample>(join(dir, "b1", "vqa-2shot.jsonl"));
    expect(n.map((x) => x.id)).toEqual(a.map((x) => x.id));
    for (const x of n) expect(x.prompt).not.toContain("<image>");
    for (const x of a) expect(x.prompt).toContain("<image>");
    // the same prompts with the images taken out
    expect(n.map((x) => x.prompt)).toEqual(a.map((x) => x.prompt.replaceAll("<image>", "")));
    const both = mmc(["eval", spec, "--checkpoint", checkpoint, "--no-images", "--shuffle-images"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/give one control/);
  }, 600_000);
});

describe("choosing queries and shots", () => {
  const all: EvalSample[] = Array.from({ length: 30 }, (_, i) => ({
    id: i,
    imageId: Math.floor(i / 3),
    imagePath: `${Math.floor(i / 3)}.png`,
    references: ["x"],
    shotAnswer: "x",
  }));

  test("seeded, distinct, never the query's image", () => {
    expect(chooseQueries(30, 10, 4)).toEqual(chooseQueries(30, 10, 4));
    expect(chooseQueries(30, 10, 4)).not.toEqual(chooseQueries(30, 10, 5));
    expect(new Set(chooseQueries(30, 10, 4)).size).toBe(10);
    expect(chooseQueries(5, 10, 4).sort()).toEqual([0, 1, 2, 3, 4]);
    for (let q = 0; q < 30; q++) {
      const shots = chooseShots(all, q, 8, 1, "t");
      expect(shots).toEqual(chooseShots(all, q, 8, 1, "t"));
      expect(new Set(shots).size).toBe(8);
      for (const s of shots) expect(all[s]!.imageId).not.toBe(all[q]!.imageId);
    }
    expect(chooseShots(all, 0, 8, 1, "t")).not.toEqual(chooseShots(all, 0, 8, 2, "t"));
    expect(() => chooseShots(all, 0, 28, 1, "t")).toThrow(/27 samples show another image/);
  }, 600_000);
});
