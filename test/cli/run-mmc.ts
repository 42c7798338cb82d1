// Spawns the real `bin/mmc` executable, as a user would, and captures its output.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const MMC = join(ROOT, "bin", "mmc");

export interface MmcResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function mmc(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): MmcResult {
  const r = spawnSync(process.execPath, [MMC, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
