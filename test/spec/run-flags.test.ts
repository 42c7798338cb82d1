// The run flags table (src/spec/run-flags.ts): one parser for `mmc run` and the generated entries,
// `mmc run --help` and the entries' comment listing every flag, and the run folder rule.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { TARGETS } from "../../src/codegen/pytorch/target.js";
import { parseRunArgs, RunUsageError } from "../../src/runtime/run/main.js";
import { MAX_WASM_THREADS } from "../../src/runtime/threads.js";
import {
  flagSynopsis,
  parseRunFlags,
  RUN_FLAGS,
  RUN_TARGETS,
  RunFlagError,
  runFolder,
} from "../../src/spec/run-flags.js";

const ENTRY = RUN_FLAGS.filter((f) => f.scope === "entry");

describe("mmc run --help", () => {
  it("lists every flag of the table, with its doc", () => {
    for (const f of RUN_FLAGS) {
      expect(runCommand.usage).toContain(flagSynopsis(f));
      expect(runCommand.usage).toContain(f.doc);
    }
  });
});

describe("the generated entries", () => {
  it("name exactly the table's run flags in their comment", () => {
    const dir = join("test", "codegen", "expected", "tiny");
    const entries = readdirSync(dir).filter((f) => f.startsWith("train-"));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      const line = readFileSync(join(dir, e), "utf8")
        .split("\n")
        .find((l) => l.startsWith("// Run as a program:"))!;
      const listed = [...line.matchAll(/\[(--[a-z-]+)/g)].map((m) => m[1]);
      expect(listed).toEqual(ENTRY.map((f) => `--${f.name}`));
    }
  });

  it("parse their argv as `mmc run` parses the same run flags", () => {
    const argvs = [
      ["--steps", "20"],
      ["--steps=20", "--backend", "wasm", "--threads", "2"],
      ["--resume"],
      ["--resume", "runs/a", "--strict"],
      ["--resume=runs/a"],
      ["--out", "o", "--resume"],
      ["--out=o", "--fresh"],
      ["--resume", "--steps", "3"],
    ];
    for (const argv of argvs) {
      const entry = parseRunArgs(argv);
      expect(parseRunFlags(["spec.mm", ...argv], "mmc").run).toEqual(entry);
      expect(parseRunFlags(argv, "entry").run).toEqual(entry);
    }
    expect(parseRunArgs(["--resume", "--steps", "3"])).toEqual({ resume: true, steps: 3 });
    expect(parseRunArgs(["--out", "o", "--resume"])).toEqual({ runDir: "o", resume: true });
  });

  it("refuse what `mmc run` refuses, and `mmc run`'s own flags", () => {
    const bad = [
      ["--steps", "0"],
      ["--steps", "x"],
      ["--threads", String(MAX_WASM_THREADS + 1)],
      ["--backend", "tpu"],
      ["--resume", "--fresh"],
      ["--resume", "a", "--out", "b"],
      ["--steps", "1", "--steps", "2"],
      ["--strict=yes"],
      ["--bogus"],
      ["--steps"],
    ];
    for (const argv of bad) {
      expect(() => parseRunArgs(argv), argv.join(" ")).toThrow(RunUsageError);
      expect(() => parseRunFlags(["f.mm", ...argv], "mmc"), argv.join(" ")).toThrow(RunFlagError);
    }
    // `mmc run`'s flags and a positional are not an entry's
    expect(() => parseRunArgs(["--dry-run"])).toThrow(/unknown option `--dry-run`/);
    expect(() => parseRunArgs(["spec.mm"])).toThrow(/unexpected argument/);
    expect(parseRunFlags(["f.mm", "--dry-run", "--json", "--train", "t"], "mmc").mmc).toMatchObject(
      { dryRun: true, json: true, train: "t" },
    );
  });

  it("name the same targets as the PyTorch target's list", () => {
    expect([...RUN_TARGETS]).toEqual([...TARGETS]);
  });
});

describe("the run folder", () => {
  const c = { name: "t", runDir: "spec/runs/t" };
  it("is --resume DIR, else --out DIR, else checkpoint.dir, else runDir, else runs/<name>", () => {
    expect(runFolder({ ...c, checkpoint: { dir: "ck" } }, { resume: "r" })).toBe("r");
    expect(runFolder({ ...c, checkpoint: { dir: "ck" } }, { runDir: "o", resume: true })).toBe("o");
    expect(runFolder({ ...c, checkpoint: { dir: "ck" } }, {})).toBe("ck");
    expect(runFolder(c, {})).toBe("spec/runs/t");
    expect(runFolder({ name: "t" }, {})).toBe("runs/t");
  });
});
