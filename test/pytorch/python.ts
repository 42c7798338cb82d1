// Finding a Python that can import torch for the PyTorch target's tests: MMC_PYTHON, then
// /usr/bin/python3 (Debian's python3-torch), then `python3` on PATH. Without one the suites are
// skipped with a visible notice, never passed silently.
import { spawnSync } from "node:child_process";

function importsTorch(python: string): boolean {
  const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8", timeout: 60_000 });
  return r.status === 0;
}

function find(): string | undefined {
  const candidates = [process.env["MMC_PYTHON"], "/usr/bin/python3", "python3"].filter(
    (p): p is string => p !== undefined && p !== "",
  );
  return candidates.find(importsTorch);
}

/** The Python to use, or undefined (after printing why the suite is skipped). */
export function torchPython(suite: string): string | undefined {
  const python = find();
  if (python === undefined)
    console.warn(
      `notice: no Python with torch and numpy found (MMC_PYTHON, /usr/bin/python3, python3), ` +
        `so ${suite} is skipped; install Debian's python3-torch or set MMC_PYTHON`,
    );
  return python;
}

/** Any Python 3 (compiling needs no torch), or undefined after a notice. */
export function anyPython(): string | undefined {
  const candidates = [process.env["MMC_PYTHON"], "/usr/bin/python3", "python3"];
  const found = candidates.find(
    (p) => p !== undefined && p !== "" && spawnSync(p, ["-c", "pass"]).status === 0,
  );
  if (found === undefined)
    console.warn("notice: no python3 found, so the generated Python is not compiled here");
  return found;
}

/** Runs `python` on `args`; throws with its output on failure. */
export function runPython(
  python: string,
  args: string[],
  timeout = 600_000,
  env: Record<string, string> = {},
): string {
  const r = spawnSync(python, args, {
    encoding: "utf8",
    timeout,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0)
    throw new Error(`${python} ${args.join(" ")} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}
