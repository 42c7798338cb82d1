// The launch scripts of `mmc sweep --target pytorch --emit-only`, in bash itself: shellWord
// round-trips any text (a property, one bash for all cases), both scripts parse (`bash -n`), and
// run with a launcher that records its arguments they pass each point's entry and train name
// exactly, whatever the spec path, labels, folders and names hold; nothing hostile runs.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { launchScript, shellWord, ShellWordError, slurmScript } from "../../src/sweep/launch.js";
import type { SweepPlan } from "../../src/sweep/plan.js";

const root = mkdtempSync(join(tmpdir(), "mmc-launch-"));
const PWNED = join(root, "pwned");
const HOSTILE = [
  `$(touch ${PWNED})`,
  `\`touch ${PWNED}\``,
  `'; touch ${PWNED}; '`,
  `"; touch ${PWNED}; "`,
  `a\ntouch ${PWNED}\n#`,
  "-rf --help",
  "tab\there and  two spaces",
  "*?[a-z]{1,2}~",
  "back\\slash\\",
  "ünïcødé \u202e\u2066 bidi",
  "\r\u001b[31mred",
  "",
  "'",
  "!!",
  "${HOME}",
];

const bash = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
  spawnSync("bash", args, {
    encoding: "utf8",
    cwd: options.cwd ?? root,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...options.env },
    timeout: 60_000,
  });

describe("shellWord", () => {
  test("any text without NUL comes back from bash exactly (fixed hostile cases and a property)", () => {
    const cases = [
      ...HOSTILE,
      // shell metacharacters often, and any other character (lone surrogates aside: not UTF-8)
      ...fc.sample(
        fc
          .array(
            fc.oneof(
              fc.constantFrom(..."'\"$`\\\n\r\t !();&|*?[]{}~#=<>"),
              fc.integer({ min: 1, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
              fc.integer({ min: 0x10000, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
            ),
            { maxLength: 30 },
          )
          .map((a) => a.join("")),
        { numRuns: 300, seed: 13 },
      ),
    ];
    const script = join(root, "words.sh");
    writeFileSync(script, `printf '%s\\0' ${cases.map(shellWord).join(" ")}\n`);
    const r = bash([script]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\u0000").slice(0, -1)).toEqual(cases);
    expect(existsSync(PWNED)).toBe(false);
    expect(() => shellWord("a\u0000b")).toThrow(ShellWordError);
  });
});

/** A plan with user text wherever the scripts could meet it. */
function hostilePlan(): SweepPlan {
  const points = HOSTILE.slice(0, 6).map((h, i) => ({
    id: `p${i}`,
    labels: [h, HOSTILE[(i + 6) % HOSTILE.length]!],
    dir: `p${i}-${h}`,
    train: { name: `s_${h}` },
  }));
  return {
    spec: `spec ${HOSTILE[4]} ${HOSTILE[0]}.mm`,
    dir: root,
    sweep: { name: `s${HOSTILE[2]}`, axes: [{ path: HOSTILE[1] }, { path: HOSTILE[3] }] },
    points,
    retired: [],
  } as unknown as SweepPlan;
}

describe("launch.sh and sweep.sbatch", () => {
  const plan = hostilePlan();
  // The emitted folder's own name is hostile too: launch.sh finds it from its own path.
  const out = join(root, `out $(touch ${PWNED}) '"\n`);
  mkdirSync(join(out, "pytorch"), { recursive: true });
  writeFileSync(join(out, "launch.sh"), launchScript(plan));
  writeFileSync(join(out, "sweep.sbatch"), slurmScript(plan));
  // The launcher records its arguments, one call a line of NUL-separated words.
  const calls = join(root, "calls");
  const launcher = join(root, "launcher.sh");
  writeFileSync(
    launcher,
    `#!/bin/bash\nprintf '%s\\0' "$PWD" "$@" >> '${calls}'\nprintf '\\n' >> '${calls}'\n`,
  );
  chmodSync(launcher, 0o755);
  const recorded = (): string[][] =>
    existsSync(calls)
      ? readFileSync(calls, "utf8")
          .split("\u0000\n")
          .filter((l) => l !== "")
          .map((l) => l.split("\u0000"))
      : [];
  const expected = (i: number, extra: string[] = []) => [
    out,
    "--standalone",
    "--nproc_per_node",
    "1",
    `pytorch/${plan.points[i]!.dir}/train.py`,
    "--train",
    plan.points[i]!.train.name,
    "--resume",
    ...extra,
  ];

  test("both parse (bash -n)", () => {
    for (const f of ["launch.sh", "sweep.sbatch"]) {
      const r = bash(["-n", join(out, f)]);
      expect(r.stderr, f).toBe("");
      expect(r.status, f).toBe(0);
    }
    expect(slurmScript(plan)).toContain(`#SBATCH --array=0-${plan.points.length - 1}\n`);
  });

  test("launch.sh runs every point, or the one named with its options, exactly as planned", () => {
    writeFileSync(calls, "");
    const all = bash([join(out, "launch.sh")], { env: { TORCHRUN: launcher } });
    expect(all.stderr).toBe("");
    expect(all.status).toBe(0);
    expect(recorded()).toEqual(plan.points.map((_, i) => expected(i)));
    writeFileSync(calls, "");
    const one = bash([join(out, "launch.sh"), "p2", "--steps", HOSTILE[0]!], {
      env: { TORCHRUN: launcher, NPROC: "1" },
    });
    expect(one.status).toBe(0);
    expect(recorded()).toEqual([expected(2, ["--steps", HOSTILE[0]!])]);
    const none = bash([join(out, "launch.sh"), HOSTILE[0]!], { env: { TORCHRUN: launcher } });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("no point");
    expect(existsSync(PWNED)).toBe(false);
  });

  test("sweep.sbatch runs the point SLURM_ARRAY_TASK_ID names, from its folder", () => {
    writeFileSync(calls, "");
    for (const i of [0, 5]) {
      const r = bash([join(out, "sweep.sbatch")], {
        cwd: out,
        env: { TORCHRUN: launcher, SLURM_ARRAY_TASK_ID: String(i) },
      });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    expect(recorded()).toEqual([expected(0), expected(5)]);
    for (const bad of ["6", "-1", HOSTILE[0]!]) {
      const r = bash([join(out, "sweep.sbatch")], {
        cwd: out,
        env: { TORCHRUN: launcher, SLURM_ARRAY_TASK_ID: bad },
      });
      expect(r.status, bad).toBe(2);
    }
    // submitted from elsewhere: refused with the fix, nothing run
    const elsewhere = bash([join(out, "sweep.sbatch")], {
      env: { TORCHRUN: launcher, SLURM_ARRAY_TASK_ID: "0" },
    });
    expect(elsewhere.status).toBe(2);
    expect(elsewhere.stderr).toContain("submit it from the folder it is in");
    expect(recorded()).toHaveLength(2);
    expect(existsSync(PWNED)).toBe(false);
  });
});
