// `mmc diff` through bin/mmc: derived numbers agree with `mmc info --json` (another reader of the
// same IR), the fields that differ are exactly the override's consequences, across two files
// too, and bad names are usage errors.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { mmc } from "./run-mmc.js";

interface DiffJson {
  a: { file: string; name: string; kind: string };
  b: { file: string; name: string; kind: string };
  derived: { path: string; a: unknown; b: unknown; changed: boolean; delta: number | null }[];
  fields: { path: string; a: unknown; b: unknown }[];
}

interface InfoJson {
  models: {
    name: string;
    params: { total: number; active: number; vision: number; connector: number; llm: number };
    image_tokens: number;
    flops_per_token: number;
    train_memory: { train: string; total: number; activations: number }[];
  }[];
}

function diffJson(args: string[]): DiffJson {
  const r = mmc(["diff", ...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as DiffJson;
}

const info = JSON.parse(mmc(["info", "examples/tiny.mm", "--json"]).stdout) as InfoJson;
const model = (name: string) => info.models.find((m) => m.name === name)!;
const row = (d: DiffJson, path: string) => d.derived.find((r) => r.path === path)!;

describe("mmc diff", () => {
  test("two models: the derived numbers are the ones mmc info shows", () => {
    const d = diffJson(["examples/tiny.mm", "Tiny", "Tiny144"]);
    expect(d.a).toEqual({ file: "examples/tiny.mm", name: "Tiny", kind: "model" });
    const [a, b] = [model("Tiny"), model("Tiny144")];
    expect(row(d, "params")).toEqual({
      path: "params",
      a: a.params.total,
      b: b.params.total,
      changed: true,
      delta: b.params.total - a.params.total,
    });
    expect(row(d, "vision.params").b).toBe(b.params.vision);
    expect(row(d, "connector.params").changed).toBe(false);
    expect(row(d, "image_tokens")).toMatchObject({ a: 16, b: 144, delta: 128 });
    expect(row(d, "connector.output")).toMatchObject({
      a: [16, 128],
      b: [144, 128],
      changed: true,
    });
    expect(row(d, "flops_per_token")).toMatchObject({ a: a.flops_per_token, changed: false });
  });

  test("two models: every differing resolved field, inferred ones too, and nothing else", () => {
    const d = diffJson(["examples/tiny.mm", "Tiny", "Tiny144"]);
    expect(d.fields).toEqual([
      { path: "image", a: [3, 64, 64], b: [3, 96, 96] },
      { path: "vision.image_height", a: 64, b: 96 },
      { path: "vision.image_width", a: 64, b: 96 },
      { path: "connector.tokens", a: 16, b: 144 },
      { path: "connector.in_tokens", a: 64, b: 144 },
      { path: "connector.grid_h", a: 8, b: 12 },
      { path: "connector.grid_w", a: 8, b: 12 },
    ]);
  });

  test("two trains: training memory and tokens, and the model's fields under model.", () => {
    const d = diffJson(["examples/tiny.mm", "tiny", "tiny_moe"]);
    expect(d.a.kind).toBe("train");
    const memA = model("Tiny").train_memory.find((t) => t.train === "tiny")!;
    const memB = model("TinyMoE").train_memory.find((t) => t.train === "tiny_moe")!;
    expect(row(d, "train_memory.total")).toMatchObject({ a: memA.total, b: memB.total });
    expect(row(d, "train_memory.activations").b).toBe(memB.activations);
    expect(row(d, "active_params").b).toBe(model("TinyMoE").params.active);
    expect(row(d, "train_tokens")).toMatchObject({ a: 1000 * 8 * 128, changed: false });
    const paths = d.fields.map((f) => f.path);
    expect(paths.slice(0, 2)).toEqual(["model", "checkpoint.dir"]);
    expect(d.fields[0]).toEqual({ path: "model", a: "Tiny", b: "TinyMoE" });
    expect(d.fields.find((f) => f.path === "model.llm.moe.experts")).toEqual({
      path: "model.llm.moe.experts",
      a: null,
      b: 4,
    });
    expect(
      paths.every((p) => ["model", "checkpoint.dir"].includes(p) || p.startsWith("model.llm.moe.")),
    ).toBe(true);
  });

  test("the same model twice: nothing changed", () => {
    const d = diffJson(["examples/tiny.mm", "Tiny", "Tiny"]);
    expect(d.fields).toEqual([]);
    expect(d.derived.every((r) => !r.changed && (r.delta === null || r.delta === 0))).toBe(true);
    const text = mmc(["diff", "examples/tiny.mm", "Tiny", "Tiny"]).stdout;
    expect(text).toContain("no config field differs");
  });

  test("across two files: OTHER.mm:NAME", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-diff-"));
    const other = join(dir, "other.mm");
    writeFileSync(
      other,
      readFileSync("examples/tiny.mm", "utf8")
        .replace("connector: AvgPool { tokens: 16 }", "connector: AvgPool { tokens: 4 }")
        .replace("image_tokens == 16", "image_tokens == 4")
        .replace("steps: 1000, batch: 8", "steps: 500, batch: 16"),
    );
    const d = diffJson(["examples/tiny.mm", "Tiny", `${other}:Tiny`]);
    expect(d.b).toEqual({ file: other, name: "Tiny", kind: "model" });
    expect(d.fields.find((f) => f.path === "connector.tokens")).toEqual({
      path: "connector.tokens",
      a: 16,
      b: 4,
    });
    const t = diffJson(["examples/tiny.mm", "tiny", `${other}:tiny`]);
    expect(t.fields.filter((f) => ["steps", "batch"].includes(f.path))).toEqual([
      { path: "steps", a: 1000, b: 500 },
      { path: "batch", a: 8, b: 16 },
    ]);
    expect(row(t, "tokens_per_step")).toMatchObject({ a: 1024, b: 2048, delta: 1024 });
    const text = mmc(["diff", "examples/tiny.mm", "Tiny", `${other}:Tiny`]);
    expect(text.stdout.split("\n")[0]).toBe(`model examples/tiny.mm:Tiny vs ${other}:Tiny`);
    expect(text.stdout).toMatch(/image_tokens\s+16\s+4\s+-12 \(-75%\)/);
  });

  // A path may not hold a control character (MM2017), but a direction override or a zero-width
  // character is allowed there, and must not reach the terminal raw either.
  test("direction overrides in a spec's strings never reach the terminal", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-diff-"));
    const other = join(dir, "other.mm");
    writeFileSync(
      other,
      readFileSync("examples/tiny.mm", "utf8").replace(
        'dir: "runs/tiny" }',
        'dir: "runs/\\u{202e}\\u{200b}x" }',
      ),
    );
    for (const json of [false, true]) {
      const r = mmc([
        "diff",
        "examples/tiny.mm",
        "tiny",
        `${other}:tiny`,
        ...(json ? ["--json"] : []),
      ]);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(/[\u202e\u200b]/);
      if (json) {
        const d = JSON.parse(r.stdout) as DiffJson;
        expect(d.fields.find((f) => f.path === "checkpoint.dir")!.b).toBe("runs/\u202e\u200bx");
      } else expect(r.stdout).toContain("runs/\\u{202e}\\u{200b}x");
    }
  });

  test("the table: derived rows side by side with the change", () => {
    const r = mmc(["diff", "examples/tiny.mm", "Tiny", "Tiny144"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("model Tiny vs Tiny144 (examples/tiny.mm)");
    expect(lines).toContain("params                        587,456     592,576  +5,120 (+0.872%)");
    expect(r.stdout).toMatch(/connector\.tokens\s+16\s+144\s+\+128 \(\+800%\)/);
  });

  test("bad names and kinds are usage errors (exit 2) with a hint", () => {
    const typo = mmc(["diff", "examples/tiny.mm", "Tiny", "Tiny145"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/has no model or train `Tiny145`; did you mean `Tiny144`\?/);
    const mixed = mmc(["diff", "examples/tiny.mm", "Tiny", "tiny"]);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(
      /`Tiny` is a model and `tiny` is a train: compare two models or two trains/,
    );
    expect(mmc(["diff", "examples/tiny.mm", "Tiny"]).status).toBe(2);
    expect(mmc(["diff", "examples/tiny.mm", "Tiny", "missing.mm:Tiny"]).status).toBe(2);
  });

  test("a spec with errors prints its diagnostics, exit 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-diff-"));
    const bad = join(dir, "bad.mm");
    writeFileSync(bad, "model M { llm: Nope {} }\n");
    const r = mmc(["diff", bad, "M", "M"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[MM\d{4}\]/);
  });
});
