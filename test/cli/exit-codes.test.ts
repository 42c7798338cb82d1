// Every problem of the user's or the machine's that `mmc run` and `mmc compile` meet gives exit 1
// and one line (`error: ...`) saying what is wrong and what to do: never exit 70 ("a bug in
// mmc"), never a stack trace, never a damaged checkpoint loaded. Each row was exit 70, or exit 0
// with a wrong result, before this table existed.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { encodeSafetensors } from "../../src/runtime/checkpoint/safetensors.js";
import { main } from "../../src/cli/main.js";
import { MMC, mmc, ROOT } from "./run-mmc.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-exit-"));
const spec = join(dir, "micro.mm");
const micro = readFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), "utf8");
const STEP2 = "step-00000002.safetensors";
let pristine: Buffer;

/** A spec next to micro.mm: micro with `from` replaced by `to`. */
function variant(name: string, from: string, to: string): string {
  if (!micro.includes(from)) throw new Error(`micro.mm has no ${from}`);
  const path = join(dir, `${name}.mm`);
  writeFileSync(path, micro.replace(from, to));
  return path;
}

/** A run folder `runs/<name>` holding the step-2 checkpoint as `mangle` leaves it. */
function folder(name: string, mangle: (bytes: Buffer) => Buffer = (b) => b): string {
  const d = join(dir, "runs", name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, STEP2), mangle(Buffer.from(pristine)));
  return d;
}

/** `bytes` with the first `from` (latin1) replaced by `to`, of the same length. */
function patch(bytes: Buffer, from: string, to: string): Buffer {
  const at = bytes.indexOf(from, 0, "latin1");
  if (at < 0 || from.length !== to.length) throw new Error(`cannot patch ${from}`);
  const out = Buffer.from(bytes);
  out.write(to, at, "latin1");
  return out;
}

beforeAll(() => {
  copyFileSync(join(ROOT, "test", "cli", "fixtures", "micro.mm"), spec);
  const r = mmc(["run", spec, "--backend", "cpu", "--steps", "2"]);
  expect(r.status, r.stderr).toBe(0);
  pristine = readFileSync(join(dir, "runs", "micro", STEP2));
});

interface Case {
  readonly name: string;
  /** The arguments after `mmc`, made when the case runs (after its setup). */
  readonly args: () => string[];
  readonly message: RegExp;
}

const run = (file: string, ...rest: string[]): string[] => [
  "run",
  file,
  "--backend",
  "cpu",
  ...rest,
];

const CASES: Case[] = [
  {
    name: "a truncated checkpoint",
    args: () =>
      run(
        spec,
        "--resume",
        folder("truncated", (b) => b.subarray(0, 300_000)),
      ),
    message:
      /step-00000002\.safetensors` is damaged and was not loaded: .*the file is truncated; .*--fresh/,
  },
  {
    name: "a checkpoint with a garbled header",
    args: () =>
      run(
        spec,
        "--resume",
        folder("garbled", (b) => patch(b, '{"', "}}")),
      ),
    message: /is damaged and was not loaded: its header is not valid JSON/,
  },
  {
    name: "a checkpoint with one bit flipped in a tensor",
    args: () =>
      run(
        spec,
        "--resume",
        folder("bitflip", (b) => {
          const out = Buffer.from(b);
          out[out.length - 1000]! ^= 0x40;
          return out;
        }),
      ),
    message:
      /is damaged and was not loaded: the checksum of tensor `adam_v\.[^`]+` does not match its data/,
  },
  {
    name: "checkpoint metadata that does not parse",
    args: () =>
      run(
        spec,
        "--resume",
        folder("meta-json", (b) => patch(b, '\\"format\\":', '\\"format\\"!')),
      ),
    message: /is damaged and was not loaded: its metadata is not valid JSON/,
  },
  {
    name: "checkpoint metadata changed after writing (a step rewritten)",
    args: () =>
      run(
        spec,
        "--resume",
        folder("meta-sum", (b) => patch(b, '\\"step\\":2', '\\"step\\":3')),
      ),
    message: /is damaged and was not loaded: its metadata does not match its checksum/,
  },
  {
    name: "a checkpoint from an mmc without checksums",
    args: () => {
      const d = join(dir, "runs", "legacy");
      mkdirSync(d, { recursive: true });
      const t = { dtype: "F32" as const, shape: [1], data: Float32Array.from([1]) };
      const bytes = encodeSafetensors(new Map([["param.x", t]]), {
        mmc: JSON.stringify({ format: 1, step: 2, backend: "cpu" }),
      });
      writeFileSync(join(d, "latest.safetensors"), bytes);
      return run(spec, "--resume", d);
    },
    message:
      /latest\.safetensors` cannot be resumed: it was written by an older mmc, without checksums.*--fresh/,
  },
  {
    name: "a checkpoint that cannot be read (a folder in its place)",
    args: () => {
      const d = join(dir, "runs", "unreadable");
      mkdirSync(join(d, STEP2), { recursive: true });
      return run(spec, "--resume", d);
    },
    message:
      /cannot read `.*step-00000002\.safetensors`: it is a folder, not a file \(EISDIR\); move what is in the way/,
  },
  {
    name: "resuming after the model changed",
    args: () =>
      run(
        variant(
          "wider",
          "width: 32, depth: 1, heads: 2, mlp",
          "width: 64, depth: 1, heads: 2, mlp",
        ),
        "--resume",
        folder("wider"),
      ),
    message:
      /does not fit this run's model: `param\.connector\.proj\.weight` is \[32, 32\] in the checkpoint and \[32, 64\] in the model .*--fresh/,
  },
  {
    name: "resuming a checkpoint of another train",
    args: () => run(variant("other", "train micro", "train other"), "--resume", folder("other")),
    message: /was saved by `train micro` \(.*micro\.mm:22\), not `train other`/,
  },
  {
    name: "resuming with fewer steps than the checkpoint holds",
    args: () => run(spec, "--resume", folder("fewer"), "--steps", "1"),
    message: /is at step 2, past the 1 steps asked for: give --steps 3 or more/,
  },
  {
    name: "resuming from a folder with no checkpoint",
    args: () => {
      mkdirSync(join(dir, "runs", "empty"), { recursive: true });
      return run(spec, "--resume", join(dir, "runs", "empty"));
    },
    message: /no checkpoint to resume from in `.*empty`: run without --resume/,
  },
  {
    name: "a run folder below a file",
    args: () =>
      run(variant("under-file", 'dir: "runs/micro"', 'dir: "micro.mm/runs"'), "--steps", "1"),
    message:
      /`micro\.mm\/runs`: a part of the path is a file, not a folder \(ENOTDIR\); move what is in the way/,
  },
  {
    name: "--resume DIR below a file",
    args: () => run(spec, "--resume", join(dir, "micro.mm", "x")),
    message: /a part of the path is a file, not a folder \(ENOTDIR\)/,
  },
  {
    name: "a metrics log that is not a file",
    args: () => {
      const d = folder("metrics-dir");
      mkdirSync(join(d, "metrics.jsonl"));
      return run(spec, "--resume", d, "--steps", "3");
    },
    message: /metrics\.jsonl` is not a regular file: move it away/,
  },
  {
    name: "a synthetic corpus folder below a file",
    args: () =>
      run(
        variant("synth-file", 'synthesize: "data/synth"', 'synthesize: "micro.mm/synth"'),
        "--steps",
        "1",
      ),
    message:
      /cannot write the synthetic corpus to `.*micro\.mm\/synth`: a part of the path is a file/,
  },
  {
    name: "`mmc compile -o` below a file",
    args: () => ["compile", spec, "-o", join(dir, "micro.mm", "out")],
    message: /cannot create the folder `.*micro\.mm\/out`: a part of the path is a file/,
  },
  {
    name: "a new run into a folder that holds a run",
    args: () => run(spec, "--steps", "1"),
    message:
      /`runs\/micro` already holds a run \(1 checkpoint \(up to step 2\) and `metrics\.jsonl`\): continue it with --resume, or start over with --fresh/,
  },
];

// A NUL byte in a spec's folder (`checkpoint.dir`, `synthesize`) never reaches the run now: the
// checker refuses it (MM2017), as a diagnostic, also exit 1.
const NUL_IN_SPEC = [
  {
    name: "checkpoint folder",
    from: 'dir: "runs/micro"',
    to: 'dir: "runs/mi\\0cro"',
    what: "`checkpoint.dir`",
  },
  {
    name: "synthetic corpus folder",
    from: 'synthesize: "data/synth"',
    to: 'synthesize: "da\\0ta"',
    what: "`synthesize`",
  },
];

describe("a NUL byte in the spec's paths is refused by the checker", () => {
  for (const c of NUL_IN_SPEC) {
    test(`a NUL byte in the spec's ${c.name}`, () => {
      const r = mmc(run(variant(`nul-${c.name.split(" ")[0]}`, c.from, c.to), "--steps", "1"), {
        cwd: dir,
      });
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stderr).toContain(
        `error[MM2017]: ${c.what} holds a NUL byte, which no file name can hold`,
      );
      expect(r.status).toBe(1);
    });
  }
});

describe("user and machine problems exit 1 with one line", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const r = mmc(c.args(), { cwd: dir });
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stderr, r.stdout).toMatch(/^error: [^\n]+\n$/);
      expect(r.stderr).toMatch(c.message);
      expect(r.status).toBe(1);
    });
  }

  test("a path with a NUL byte given to the command line's functions", async () => {
    // A shell cannot pass a NUL byte in an argument; a program calling mmc can.
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((t: string) => (
      err.push(String(t)),
      true
    )) as typeof process.stderr.write;
    let status: number;
    try {
      status = await main(["compile", spec, "-o", join(dir, "o\0ut")]);
    } finally {
      process.stderr.write = write;
    }
    expect(status).toBe(1);
    expect(err.join("")).toMatch(/^error: a path contains a NUL byte/);
  });

  test("disk full while writing a checkpoint keeps the last one whole", (ctx) => {
    // A 700 KiB tmpfs in a private mount namespace takes one micro checkpoint (~580 KB), not two.
    const probe = spawnSync("unshare", ["-m", "true"]);
    if (probe.status !== 0)
      ctx.skip(
        `needs \`unshare -m\` to mount a small tmpfs (as root): ${probe.error?.message ?? probe.stderr}`,
      );
    const full = join(dir, "full");
    mkdirSync(full, { recursive: true });
    const spec2 = variant("full", 'dir: "runs/micro"', 'dir: "full/run"');
    const verify = `import { readCheckpoint } from ${JSON.stringify(join(ROOT, "dist", "runtime", "index.js"))}; const c = await readCheckpoint(process.argv[1]); console.log("verified step", c.meta.step);`;
    const script = [
      "mount -t tmpfs -o size=700k tmpfs full || exit 99",
      `"${process.execPath}" "${MMC}" run "${spec2}" --backend cpu --steps 4 >/dev/null`,
      "rc=$?",
      "echo files: $(ls full/run)",
      `"${process.execPath}" --input-type=module -e '${verify}' full/run/${STEP2} 2>&1`,
      "exit $rc",
    ].join("\n");
    const r = spawnSync("unshare", ["-m", "sh", "-c", script], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
      timeout: 120_000,
    });
    if (r.status === 99) ctx.skip(`cannot mount a tmpfs here: ${r.stderr}`);
    expect(r.stderr).toMatch(
      /^error: cannot write the run's files: no space is left on the device \(ENOSPC\); free some space/,
    );
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`files: latest.json metrics.jsonl ${STEP2}\n`);
    expect(r.stdout).toContain("verified step 2");
  });

  test("the table's runs loaded no damaged checkpoint and wrote none over a good one", () => {
    expect(existsSync(join(dir, "runs", "fewer", "step-00000001.safetensors"))).toBe(false);
    expect(readFileSync(join(dir, "runs", "micro", STEP2)).equals(pristine)).toBe(true);
    for (const name of ["truncated", "garbled", "bitflip", "meta-json", "meta-sum"])
      expect(readdirSync(join(dir, "runs", name)), name).toEqual([STEP2]);
  });
});
