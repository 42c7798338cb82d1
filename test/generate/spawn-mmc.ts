// `bin/mmc` as a user runs it, with a longer timeout than test/cli's helper: these commands
// train and generate, which takes minutes on a loaded machine.
import { spawnSync } from "node:child_process";
import { MMC, ROOT, type MmcResult } from "../cli/run-mmc.js";

export { ROOT };

export function mmc(args: string[]): MmcResult {
  const r = spawnSync(process.execPath, [MMC, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 500_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
