// One run at a time per folder: a run holds `run.lock` (its pid and host) while it writes, so a
// second run into the same folder, resuming or not, is refused instead of interleaving its
// metrics and checkpoints with the first. A lock left by a run that is gone is taken over.
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { escapeControls, fsRunError, isFsError, RunError, showPath } from "./errors.js";

export const LOCK_FILE = "run.lock";

interface LockRecord {
  readonly pid: number;
  readonly host: string;
}

function parseLock(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return Number.isSafeInteger(r.pid) && typeof r.host === "string"
      ? { pid: r.pid as number, host: r.host }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process that wrote `lock` may still be running (on another host: assume so). */
function mayBeAlive(lock: LockRecord): boolean {
  if (lock.host !== hostname()) return true;
  if (lock.pid === process.pid) return false;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}

function heldBy(dir: string, lock: LockRecord): RunError {
  return new RunError(
    `another run (pid ${lock.pid} on ${escapeControls(lock.host)}) is writing to \`${showPath(dir)}\`: ` +
      `wait for it or stop it (Ctrl-C), or give this run another folder; if no run is writing there, remove \`${showPath(join(dir, LOCK_FILE))}\``,
  );
}

/** Refuses `dir` when a live run holds its lock (reading only). */
export async function checkUnlocked(dir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dir, LOCK_FILE), "utf8");
  } catch {
    return; // no lock (or none readable: takeLock will say so)
  }
  const lock = parseLock(text);
  if (lock !== undefined && mayBeAlive(lock)) throw heldBy(dir, lock);
}

/**
 * Takes `dir`'s lock (creating the folder); returns its release. A lock left by a run that is
 * gone is taken over, saying so through `say`.
 */
export async function takeLock(
  dir: string,
  say: (line: string) => void,
): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const record = JSON.stringify({ pid: process.pid, host: hostname() });
  try {
    await mkdir(dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(path, "wx");
        await fh.writeFile(`${record}\n`);
        await fh.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw e;
        const lock = parseLock(await readFile(path, "utf8").catch(() => ""));
        if (lock !== undefined && mayBeAlive(lock)) throw heldBy(dir, lock);
        say(
          `note: taking over \`${showPath(path)}\`, left by a run that is no longer running` +
            (lock ? ` (pid ${lock.pid})` : ""),
        );
        await rm(path, { force: true });
      }
    }
  } catch (e) {
    if (isFsError(e)) throw fsRunError(`cannot lock the run folder \`${showPath(dir)}\``, e);
    throw e;
  }
  // A run that quits at once (a second Ctrl-C calls process.exit) still leaves no lock behind.
  const onExit = (): void => rmSync(path, { force: true });
  process.on("exit", onExit);
  return async () => {
    process.off("exit", onExit);
    await rm(path, { force: true }).catch(() => undefined);
  };
}
