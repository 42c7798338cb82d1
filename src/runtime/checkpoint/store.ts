// A run folder's checkpoint files: one `step-<step>.safetensors` per checkpoint, written atomically
// (temp file, fsync, rename, fsync of the folder), a `latest.json` pointer switched the same way
// after each write, and the newest `keep` files kept. Nothing here decides what a file holds.
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { defaultNumber } from "../../spec/fields.js";
import { CHECKPOINT_SETTINGS } from "../../spec/settings.js";

/** Checkpoints kept when a train does not say (`checkpoint: { keep: N }`; src/spec/settings.ts). */
export const DEFAULT_KEEP = defaultNumber(CHECKPOINT_SETTINGS, "keep");
/** The pointer to the newest checkpoint: `{ "step": 60, "file": "step-00000060.safetensors" }`. */
export const POINTER_FILE = "latest.json";
/** What mmc before format 2 wrote: one file, overwritten in place, without checksums. */
export const LEGACY_CHECKPOINT_FILE = "latest.safetensors";

const STEP_FILE = /^step-(\d+)\.safetensors$/;

/** `dir/step-00000060.safetensors`: zero-padded so a listing sorts by step. */
export function checkpointPath(dir: string, step: number): string {
  return join(dir, `step-${String(step).padStart(8, "0")}.safetensors`);
}

export interface StoredCheckpoint {
  readonly step: number;
  readonly path: string;
}

/** The step files in `dir`, newest first; none when the folder does not exist. */
export async function listCheckpoints(dir: string): Promise<StoredCheckpoint[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const found: StoredCheckpoint[] = [];
  for (const name of names) {
    const m = STEP_FILE.exec(name);
    if (m) found.push({ step: Number(m[1]), path: join(dir, name) });
  }
  return found.sort((a, b) => b.step - a.step);
}

/** Writes `bytes` to `path` through a temp file: fsync, rename, fsync of the folder. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncFolder(dirname(path));
}

// The rename is durable only once the folder's entry is on disk too. Some platforms and file
// systems cannot open a folder for fsync; the rename itself is still atomic there.
async function syncFolder(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // not supported here
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Stores one checkpoint: its step file, then the pointer, then removes step files beyond the
 * newest `keep` older than this one (files of later steps, left by a run resumed from an earlier
 * checkpoint, are left alone: the run writes them again as it reaches them). Returns the path.
 */
export async function writeCheckpointFile(
  dir: string,
  step: number,
  bytes: Uint8Array,
  keep = DEFAULT_KEEP,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = checkpointPath(dir, step);
  await writeFileAtomic(path, bytes);
  const pointer = { step, file: basename(path) };
  await writeFileAtomic(join(dir, POINTER_FILE), `${JSON.stringify(pointer)}\n`);
  const older = (await listCheckpoints(dir)).filter((c) => c.step < step);
  for (const old of older.slice(Math.max(0, keep - 1))) await rm(old.path, { force: true });
  return path;
}
