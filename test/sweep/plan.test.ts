// Expanding a sweep and fingerprinting its points: the grid in order, names and checkpoint
// folders set for the sweep, and fingerprints that change exactly where the resolved model or
// train changes (not for a comment, a moved line or a renamed model).
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import { canonicalJson, initFileDigest } from "../../src/sweep/fingerprint.js";
import { buildManifest } from "../../src/sweep/manifest.js";
import { llamaTensors, safetensorsBytes, writeFixture } from "../init/hf-fixtures.js";
import { chooseSweep, planSweep, SweepChoiceError } from "../../src/sweep/plan.js";

const FIXTURE = readFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-plan-"));
let n = 0;

function plan(text: string, steps?: number) {
  const file = join(dir, `v${n++}.mm`);
  writeFileSync(file, text);
  const r = checkFile(file, fileHost);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return planSweep(chooseSweep(r.checked!, file), file, steps !== undefined ? { steps } : {});
}

const prints = (text: string, steps?: number) => plan(text, steps).points.map((p) => p.fingerprint);

describe("sweep plan", () => {
  test("points, folders and the trains they run", () => {
    const p = plan(FIXTURE);
    expect(p.dir).toBe(join(dir, "sweeps", "grid"));
    expect(p.points.map((x) => [x.id, x.labels, x.dir])).toEqual([
      ["p0", ["AvgPool { tokens: 4 }"], "p0-avgpool-tokens-4"],
      ["p1", ["Pool"], "p1-pool"],
    ]);
    const t = p.points[1]!.train;
    expect(t.name).toBe("grid_p1");
    expect(t.checkpoint).toEqual({ every: 2, dir: "sweeps/grid/p1-pool", keep: 3 });
    expect(t.model.summary.parts.connector?.kind).toBe("AttnPool");
    expect(p.points[0]!.derived.params).toBeLessThan(p.points[1]!.derived.params);
    // --steps sets every point's steps, and checkpoints stay within them
    const short = plan(FIXTURE, 1).points[0]!.train;
    expect([short.steps, short.checkpoint?.every]).toEqual([1, 1]);
  });

  test("a file with no sweep, or two, is a clear choice error", () => {
    const r = checkFile(join(import.meta.dirname, "..", "cli", "fixtures", "micro.mm"), fileHost);
    expect(() => chooseSweep(r.checked!, "micro.mm")).toThrow(SweepChoiceError);
    const two = `${FIXTURE}\nsweep other {\n  base: micro\n  vary steps: [2, 3]\n}\n`;
    const file = join(dir, "two.mm");
    writeFileSync(file, two);
    const c = checkFile(file, fileHost).checked!;
    expect(() => chooseSweep(c, file)).toThrow(/2 sweeps .*choose one with --sweep/);
    expect(chooseSweep(c, file, "other").points).toHaveLength(2);
    expect(() => chooseSweep(c, file, "nope")).toThrow(/has no `sweep nope`/);
  });

  test("canonical JSON ignores key order", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: null }] })).toBe(
      canonicalJson({ a: [{ e: null, d: 2 }], b: 1 }),
    );
  });

  test("fingerprints change exactly for the points whose resolved config changes", () => {
    const base = prints(FIXTURE);
    expect(base[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(base[0]).not.toBe(base[1]);
    // a comment and blank lines move every span: nothing that trains changes
    expect(prints(`// a note\n\n${FIXTURE}`)).toEqual(base);
    // renaming the model changes no training either
    expect(prints(FIXTURE.replaceAll("Micro", "Mini"))).toEqual(base);
    // the preset only the second point uses
    const changed = prints(FIXTURE.replace("AttnPool { tokens: 4 }", "AttnPool { tokens: 16 }"));
    expect(changed[0]).toBe(base[0]);
    expect(changed[1]).not.toBe(base[1]);
    // the base train: every point
    const lr = prints(FIXTURE.replace("lr: 1e-3", "lr: 2e-3"));
    expect(lr.filter((f, i) => f === base[i])).toEqual([]);
    // --steps trains something else
    expect(prints(FIXTURE, 3).filter((f, i) => f === base[i])).toEqual([]);
  });
});

describe("sweep points are known by their axis values", () => {
  const done = (p: ReturnType<typeof plan>) => buildManifest(p, () => "done" as const);
  const again = (text: string, previous: ReturnType<typeof done>, taken: string[] = []) => {
    const file = join(dir, `v${n++}.mm`);
    writeFileSync(file, text);
    const r = checkFile(file, fileHost);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return planSweep(chooseSweep(r.checked!, file), file, { previous, taken });
  };
  const inserted = FIXTURE.replace(
    "vary model.connector: [AvgPool { tokens: 4 }, Pool]",
    "vary model.connector: [AvgPool { tokens: 4 }, AvgPool { tokens: 1 }, Pool]",
  );

  test("an inserted value is a new point; the others keep their ids, folders and fingerprints", () => {
    const first = plan(FIXTURE);
    const p = again(inserted, done(first));
    expect(p.points.map((x) => [x.id, x.dir, x.change])).toEqual([
      ["p0", "p0-avgpool-tokens-4", "unchanged"],
      ["p2", "p2-avgpool-tokens-1", "new"],
      ["p1", "p1-pool", "unchanged"],
    ]);
    expect(p.points[2]!.train.name).toBe("grid_p1");
    expect(p.points[2]!.train.checkpoint?.dir).toBe("sweeps/grid/p1-pool");
    expect([p.points[0]!.fingerprint, p.points[2]!.fingerprint]).toEqual(
      first.points.map((x) => x.fingerprint),
    );
    expect(p.retired).toEqual([]);
    // a folder left by an earlier point (no longer in the manifest) keeps its number too
    const q = again(inserted, done(first), ["p7-avgpool-tokens-1.old-1", "report.md"]);
    expect(q.points[1]!.id).toBe("p8");
  });

  test("reordered values and axes, a value written another way, a changed point, a removed one", () => {
    const two = FIXTURE.replace(
      "vary model.connector: [AvgPool { tokens: 4 }, Pool]",
      "vary model.connector: [AvgPool { tokens: 4 }, Pool]\n  vary batch: [2, 4]",
    );
    const first = plan(two);
    const ids = first.points.map((x) => [x.labels, x.id]);
    const swapped = FIXTURE.replace(
      "vary model.connector: [AvgPool { tokens: 4 }, Pool]",
      "vary batch: [4, 2]\n  vary model.connector: [Pool, AvgPool { tokens: 4 }]",
    );
    const p = again(swapped, done(first));
    expect(p.points.every((x) => x.change === "unchanged")).toBe(true);
    for (const x of p.points) {
      const [batch, connector] = x.labels;
      expect(ids).toContainEqual([[connector, batch], x.id]);
    }
    // `AvgPool {tokens:4}` trains what `AvgPool { tokens: 4 }` did: matched by fingerprint
    const respelled = again(
      FIXTURE.replace("[AvgPool { tokens: 4 }, Pool]", "[AvgPool {tokens:4}, Pool]"),
      done(plan(FIXTURE)),
    );
    expect(respelled.points.map((x) => [x.id, x.change])).toEqual([
      ["p0", "unchanged"],
      ["p1", "unchanged"],
    ]);
    // the same axis values, another preset: changed, in its own folder still
    const changed = again(
      FIXTURE.replace("AttnPool { tokens: 4 }", "AttnPool { tokens: 16 }"),
      done(plan(FIXTURE)),
    );
    expect(changed.points.map((x) => [x.id, x.dir, x.change])).toEqual([
      ["p0", "p0-avgpool-tokens-4", "unchanged"],
      ["p1", "p1-pool", "changed"],
    ]);
    // a value removed: its point is retired (its folder is kept), the other keeps its id
    const removed = again(
      FIXTURE.replace("[AvgPool { tokens: 4 }, Pool]", "[Pool]"),
      done(plan(FIXTURE)),
    );
    expect(removed.points.map((x) => x.id)).toEqual(["p1"]);
    expect(removed.retired.map((x) => x.dir)).toEqual(["p0-avgpool-tokens-4"]);
  });

  test("a sweep may vary `model.tiles`: each point its own tiles, image tokens and fingerprint", () => {
    const tiled = FIXTURE.replace(
      "vary model.connector: [AvgPool { tokens: 4 }, Pool]",
      'vary model.tiles: [{ grids: ["1x1"], overview: false }, { grids: ["1x1", "2x2"], overview: true }]',
    );
    const p = plan(tiled);
    expect(p.points.map((x) => x.train.model.tiles?.grids.length)).toEqual([1, 2]);
    expect(p.points[1]!.derived.image_tokens).toBeGreaterThan(p.points[0]!.derived.image_tokens);
    expect(p.points[0]!.fingerprint).not.toBe(p.points[1]!.fingerprint);
  });
});

describe("a point's fingerprint covers the `init` weights it reads", () => {
  const LLAMA = { vocab: 260, width: 16, depth: 1, heads: 2, kvHeads: 1, hidden: 24 };
  const SPEC = `import { Decoder } from "std/llm"
model T {
  llm: Decoder { vocab: 260, width: 16, depth: 1, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, init: safetensors("w/llama.safetensors", layout: hf) }
}
data D {
  text: 100% jsonl("t.jsonl", field: "text")
  tokenizer: bytes
}
train t {
  model: T
  data: D
  steps: 4, batch: 2, sequence: 32
}
sweep s {
  base: t
  vary optimizer: [AdamW { lr: 1e-3 }, AdamW { lr: 2e-3 }]
}
`;
  const weights = join(dir, "w", "llama.safetensors");

  test("other values of the same shapes (same header, same size) change every point's fingerprint", () => {
    writeFixture(weights, safetensorsBytes(llamaTensors(LLAMA), 1));
    const a = prints(SPEC);
    expect(prints(SPEC)).toEqual(a);
    const size = statSync(weights).size;
    writeFixture(weights, safetensorsBytes(llamaTensors(LLAMA), 2));
    expect(statSync(weights).size).toBe(size);
    const b = prints(SPEC);
    expect(b.filter((f, i) => f === a[i])).toEqual([]);
    // the digest reads a bounded part of the file: its header and samples of its data
    const d = initFileDigest(weights);
    expect(d).toMatchObject({ size });
    expect(initFileDigest(join(dir, "w", "none.safetensors"))).toBe("missing");
  });
});
