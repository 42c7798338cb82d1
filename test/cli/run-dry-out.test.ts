// `mmc run --dry-run [--json]` (what would run, where, its derived numbers; nothing trained or
// written), `mmc run --out DIR` (the run folder), and `--json` as the spelling of JSON output.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { RUN_FLAGS, flagSynopsis } from "../../src/spec/run-flags.js";
import { mmc } from "./run-mmc.js";

const root = mkdtempSync(join(tmpdir(), "mmc-dryrun-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const project = join(root, "project");
mkdirSync(project);
writeFileSync(
  join(project, "text.jsonl"),
  Array.from({ length: 8 }, (_, i) => JSON.stringify({ text: `line ${i} of text` })).join("\n") +
    "\n",
);
const spec = join(project, "plain.mm");
writeFileSync(
  spec,
  `import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 260, width: 16, depth: 1, heads: 2, context: 64 }
}

data Text {
  text: 100% jsonl("text.jsonl", field: "text")
}

train plain {
  model: TextOnly
  data: Text
  steps: 3, batch: 2, sequence: 32
}
`,
);

describe("mmc run --dry-run", () => {
  test("says what would run, where, and its numbers, and writes nothing", () => {
    const r = mmc(["run", spec, "--dry-run", "--steps", "5"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("`train plain`");
    expect(r.stdout).toContain(
      `${join(project, "runs", "plain")} (not created yet; no checkpoints)`,
    );
    expect(r.stdout).toMatch(/steps\s+5\n/);
    expect(r.stdout).toMatch(/tokens\/step\s+2 x 32 = 64\n/);
    expect(r.stdout).toMatch(/tokens\s+320\n/);
    expect(r.stdout).toContain("backend auto");
    expect(r.stdout).toContain("train memory");
    expect(existsSync(join(project, "runs"))).toBe(false);
    expect(existsSync(join(project, ".mmc"))).toBe(false);
  });

  test("--json gives the same as one object; --out names the folder", () => {
    const out = join(root, "elsewhere-run");
    const r = mmc(["run", spec, "--dry-run", "--json", "--out", out, "--backend", "cpu"]);
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(d).toMatchObject({
      train: "plain",
      model: "TextOnly",
      data: "Text",
      target: "typescript",
      backend: "cpu",
      runFolder: out,
      runFolderExists: false,
      checkpoint: null,
      steps: 3,
      batch: 2,
      sequence: 32,
      tokensPerStep: 64,
      tokens: 192,
    });
    // the parameter count is the checker's (mmc info's)
    const info = JSON.parse(mmc(["info", spec, "--json"]).stdout) as {
      models: { name: string; params: { total: number } }[];
    };
    expect(d["params"]).toBe(info.models.find((m) => m.name === "TextOnly")!.params.total);
    expect(existsSync(out)).toBe(false);
  });

  test("--json without --dry-run is bad usage", () => {
    const r = mmc(["run", spec, "--json"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("`--json` is for `--dry-run`");
  });
});

describe("mmc run --out DIR", () => {
  test("writes the run there, not in the spec's runs/", () => {
    const out = join(root, "out-run");
    const r = mmc(["run", spec, "--backend", "cpu", "--steps", "1", "--out", out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`run folder: ${out} (metrics.jsonl; no checkpoints)`);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toMatch(/"type":"step"/);
    expect(existsSync(join(project, "runs"))).toBe(false);
  });
});

describe("mmc run --help", () => {
  test("lists every run flag", () => {
    const r = mmc(["run", "--help"]);
    expect(r.status).toBe(0);
    for (const f of RUN_FLAGS) expect(r.stdout).toContain(flagSynopsis(f));
  });
});

describe("--json on every command with JSON output", () => {
  const bad = join(root, "bad.mm");
  writeFileSync(bad, "model M {\n  llm: Nope\n}\n");
  test("check --json is --format json", () => {
    const a = mmc(["check", bad, "--json"]);
    const b = mmc(["check", bad, "--format", "json"]);
    expect(a.status).toBe(1);
    expect(a.stdout).toBe(b.stdout);
    expect((JSON.parse(a.stdout) as unknown[]).length).toBeGreaterThan(0);
    expect(mmc(["check", bad, "--json", "--format", "short"]).status).toBe(2);
  });
  test("compile and fmt take --json for their diagnostics", () => {
    const c = mmc(["compile", bad, "-o", join(root, "gen"), "--json"]);
    expect(c.status).toBe(1);
    expect(JSON.parse(c.stdout)).toEqual(JSON.parse(mmc(["check", bad, "--json"]).stdout));
    const broken = join(root, "broken.mm");
    writeFileSync(broken, "model M {\n");
    const f = mmc(["fmt", broken, "--check", "--json"]);
    expect(f.status).toBe(1);
    expect((JSON.parse(f.stdout) as { code: string }[])[0]!.code).toMatch(/^MM1/);
  });
});

describe("mmc info --devices N", () => {
  test("gives each train's memory per device, sharded by hand's arithmetic", () => {
    const one = JSON.parse(mmc(["info", "examples/tiny.mm", "--json"]).stdout) as {
      models: { name: string; train_memory: Record<string, unknown>[] }[];
    };
    const r = mmc(["info", "examples/tiny.mm", "--json", "--devices", "4"]);
    expect(r.status).toBe(0);
    const four = JSON.parse(r.stdout) as typeof one;
    const m1 = one.models.find((m) => m.name === "Tiny")!.train_memory[0]!;
    const m4 = four.models.find((m) => m.name === "Tiny")!.train_memory[0]!;
    expect(m1["devices"]).toBe(1);
    expect(m4["devices"]).toBe(4);
    const whole = m1 as Record<string, number>;
    // batch 8 over 4 devices: a quarter of every part (tiny's sizes divide evenly)
    expect(m4["per_device"]).toEqual({
      weights: whole["weights"]! / 4,
      gradients: whole["gradients"]! / 4,
      optimizer: whole["optimizer"]! / 4,
      activations: whole["activations"]! / 4,
      total: whole["total"]! / 4,
    });
    const text = mmc(["info", "examples/tiny.mm", "--devices", "4"]).stdout;
    expect(text).toContain("per device over 4 devices (sharded; 2 of 8 sequences each)");
    expect(mmc(["info", "examples/tiny.mm", "--devices", "0"]).status).toBe(2);
  });
});
