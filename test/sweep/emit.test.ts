// `mmc sweep --target pytorch --emit-only` through bin/mmc: a package per point and the launch
// scripts (nothing trains), the PyTorch target's refusals reported naming the points (nothing
// written), re-emitting after an inserted axis value (the points keep their folders), and one
// emitted point trained for 2 steps with Debian's torch through launch.sh, then `mmc report`.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { findTorchPython } from "../../src/cli/commands/run-pytorch.js";
import { parseSweepManifest } from "../../src/report/sweep-format.js";
import { mmc } from "../cli/run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-emit-"));
const spec = join(dir, "grid.mm");
const FIXTURE = readFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), "utf8");
copyFileSync(join(import.meta.dirname, "fixtures", "grid.mm"), spec);
const out = join(dir, "sweeps", "grid-pytorch");
const emit = (args: string[] = []) =>
  mmc(["sweep", "grid.mm", "--target", "pytorch", "--emit-only", "--steps", "2", ...args], {
    cwd: dir,
  });
const torch = findTorchPython();

describe("mmc sweep --target pytorch --emit-only", () => {
  test("a package per point, launch.sh and sweep.sbatch; nothing trains", () => {
    const r = emit();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("wrote 2 PyTorch packages under sweeps/grid-pytorch/pytorch/");
    for (const p of ["p0-avgpool-tokens-4", "p1-pool"]) {
      expect(existsSync(join(out, "pytorch", p, "train.py"))).toBe(true);
      expect(existsSync(join(out, "pytorch", p, "model.py"))).toBe(true);
      expect(existsSync(join(out, p))).toBe(false);
    }
    const launch = readFileSync(join(out, "launch.sh"), "utf8");
    expect(launch).toContain(
      'p1) "${TORCHRUN_CMD[@]}" --standalone --nproc_per_node "$NPROC" pytorch/p1-pool/train.py --train grid_p1 --resume "$@" ;;',
    );
    expect(readFileSync(join(out, "sweep.sbatch"), "utf8")).toContain("#SBATCH --array=0-1\n");
    for (const f of ["launch.sh", "sweep.sbatch"])
      expect(spawnSync("bash", ["-n", join(out, f)]).status, f).toBe(0);
    const m = parseSweepManifest(readFileSync(join(out, "sweep.json"), "utf8"));
    expect(m.points.map((p) => [p.id, p.dir, p.status])).toEqual([
      ["p0", "p0-avgpool-tokens-4", "pending"],
      ["p1", "p1-pool", "pending"],
    ]);
    const json = JSON.parse(emit(["--json"]).stdout) as {
      points: { id: string; task: number; change: string; package: string }[];
    };
    expect(json.points.map((p) => [p.id, p.task, p.change])).toEqual([
      ["p0", 0, "unchanged"],
      ["p1", 1, "unchanged"],
    ]);
    // options that train have nothing to do here
    const bad = emit(["--jobs", "2"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("`--emit-only` trains nothing");
    expect(mmc(["sweep", "grid.mm", "--target", "pytorch"], { cwd: dir }).stderr).toContain(
      "add `--emit-only`",
    );
  }, 120_000);

  test("what the PyTorch target cannot run is an error naming the points; nothing is written", () => {
    const other = join(dir, "bpe.mm");
    writeFileSync(
      other,
      FIXTURE.replace('synthesize: "data/synth"', 'synthesize: "data/synth"\n  tokenizer: bytes')
        .replace(
          "sweep grid {",
          'data Bpe {\n  text: 100% jsonl("t.jsonl", field: "text")\n  tokenizer: bpe("tok.json")\n}\n\nsweep grid {',
        )
        .replace("report: [", "vary data: [Synth, Bpe]\n  report: ["),
    );
    const r = mmc(["sweep", "bpe.mm", "--target", "pytorch", "--emit-only", "-o", "bpe-out"], {
      cwd: dir,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "error[MM6001]: the `pytorch` target cannot run the `bpe` tokenizer",
    );
    expect(r.stderr).toMatch(
      /in 2 of the 4 points of `sweep grid`: p1 \(model\.connector = AvgPool \{ tokens: 4 \}, data = Bpe\); p3 \(model\.connector = Pool, data = Bpe\)/,
    );
    expect(r.stderr).toContain("nothing was written");
    expect(existsSync(join(dir, "bpe-out"))).toBe(false);
  }, 120_000);

  test.skipIf(typeof torch === "string")(
    "an emitted point trains with torch through launch.sh; re-emitting keeps it; mmc report reads it",
    () => {
      const python = typeof torch === "string" ? "" : torch.python;
      const launcher = `${python} -m torch.distributed.run --redirects 2 --tee 2 --log_dir ${join(dir, "logs")}`;
      const r = spawnSync("bash", [join(out, "launch.sh"), "p1"], {
        encoding: "utf8",
        env: { ...process.env, TORCHRUN: launcher, NPROC: "1" },
        timeout: 200_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const log = `${r.stdout}${r.stderr}`;
      expect(log).toMatch(/train grid_p1 \(grid\.mm:\d+\)/);
      expect(log).toContain("finished at step 2/2");
      expect(existsSync(join(out, "p1-pool", "metrics.jsonl"))).toBe(true);
      // an inserted value: p1 keeps its folder (and its run), the new point is p2
      writeFileSync(
        spec,
        FIXTURE.replace(
          "[AvgPool { tokens: 4 }, Pool]",
          "[AvgPool { tokens: 4 }, AvgPool { tokens: 1 }, Pool]",
        ),
      );
      const again = emit();
      expect(again.status).toBe(0);
      expect(again.stdout).toContain("  new: p2 (AvgPool { tokens: 1 })");
      expect(again.stdout).toContain("2: p1 (Pool) -> p1-pool");
      expect(readFileSync(join(out, "sweep.sbatch"), "utf8")).toContain("#SBATCH --array=0-2\n");
      expect(existsSync(join(out, "p1-pool", "metrics.jsonl"))).toBe(true);
      const report = mmc(["report", out], { cwd: dir });
      expect(report.status).toBe(0);
      expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(
        /\| p1 \| Pool \| (\*\*)?\d\.\d{4}/,
      );
    },
    300_000,
  );
});
