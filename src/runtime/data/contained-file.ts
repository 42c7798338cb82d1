// Opening files that data files name. A path from a record (a JSONL `image`, an interleaved
// `images[i]`) must resolve, symlinks followed, inside the folder of the file naming it or a
// declared root, and be a regular file; it is read through the opened handle up to a byte limit.
// Devices, FIFOs, sockets, directories and symlink loops are refused before they are opened.
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { formatBytes } from "./limits.js";
import { showText } from "./show-text.js";

export type RefusalCode =
  "missing-file" | "outside-data-folder" | "not-regular-file" | "bad-path" | "file-too-large";

export interface FileRefusal {
  ok: false;
  code: RefusalCode;
  message: string;
  fix: string;
}

const OUTSIDE_FIX =
  "keep the files under the folder of the file that names them, or add their folder to `roots` in the `data` block";

/** Folders a reference may resolve into, each as written and with its symlinks resolved. */
export class AllowedFolders {
  private readonly real = new Map<string, Promise<string>>();

  /** `roots`: absolute folders the spec declares, allowed for every data file. */
  constructor(readonly roots: readonly string[] = []) {}

  /** The folder as written, and its real path (itself when it does not exist). */
  folders(namingFile: string): string[] {
    return [dirname(resolve(namingFile)), ...this.roots.map((r) => resolve(r))];
  }

  realFolder(folder: string): Promise<string> {
    let p = this.real.get(folder);
    if (!p) {
      p = realpath(folder).catch(() => folder);
      this.real.set(folder, p);
    }
    return p;
  }
}

/** Whether `path` is `folder` or inside it (both absolute and normalised). */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** What a file that is not regular is, for messages. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isSymbolicLink()) return "a symbolic link";
  return "not a regular file";
}

/** Why a path could not be resolved, from its error code. */
function whyUnreachable(code: string | undefined): string {
  if (code === "ENOENT" || code === "ENOTDIR") return "does not exist";
  if (code === "EACCES" || code === "EPERM") return "cannot be read (permission denied)";
  return `cannot be reached (${code ?? "unknown error"})`;
}

function refuse(code: RefusalCode, message: string, fix: string): FileRefusal {
  return { ok: false, code, message, fix };
}

/**
 * Resolves `ref` (as written in `namingFile`) to the real path of a regular file inside the
 * allowed folders, or says why not. Lexical escapes are refused before the file system is asked.
 */
export async function resolveContained(
  ref: string,
  namingFile: string,
  allowed: AllowedFolders,
): Promise<{ ok: true; path: string } | FileRefusal> {
  const shown = `\`${showText(ref)}\``;
  if (ref.includes("\u0000"))
    return refuse("bad-path", `path ${shown} contains a NUL byte`, "remove the NUL byte");
  const folders = allowed.folders(namingFile);
  const candidate = resolve(folders[0] as string, ref);
  if (!folders.some((f) => isInside(candidate, f))) {
    const how = isAbsolute(ref) ? "is absolute and outside" : "climbs out of";
    return refuse("outside-data-folder", `path ${shown} ${how} the data folder`, OUTSIDE_FIX);
  }
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      return refuse(
        "not-regular-file",
        `path ${shown} is a symbolic link loop`,
        "fix or remove the link",
      );
    return refuse(
      "missing-file",
      `path ${shown} ${whyUnreachable(code)}`,
      "paths are relative to the file that names them; check that the file exists",
    );
  }
  const realFolders = await Promise.all(folders.map((f) => allowed.realFolder(f)));
  if (!realFolders.some((f) => isInside(real, f)))
    return refuse(
      "outside-data-folder",
      `path ${shown} is a symbolic link to ${showText(real)}, outside the data folder`,
      OUTSIDE_FIX,
    );
  return { ok: true, path: real };
}

/**
 * Opens a regular file without following a last symlink or blocking on a FIFO (O_NONBLOCK), and
 * checks the opened handle, so a file swapped after the checks above is caught too.
 */
export async function openRegular(
  path: string,
  shown: string,
): Promise<{ ok: true; handle: FileHandle; size: number } | FileRefusal> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ELOOP")
      return refuse("not-regular-file", `${shown} is a symbolic link loop`, "fix the link");
    return refuse("missing-file", `${shown} ${whyUnreachable(code)}`, "check the path");
  }
  if (!st.isFile()) return notRegular(shown, st);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    return refuse(
      "missing-file",
      `${shown} cannot be opened (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      "check the file",
    );
  }
  const opened = await handle.stat();
  if (!opened.isFile()) {
    await handle.close();
    return notRegular(shown, opened);
  }
  return { ok: true, handle, size: opened.size };
}

function notRegular(shown: string, st: Stats): FileRefusal {
  return refuse(
    "not-regular-file",
    `${shown} is ${fileKind(st)}, not a regular file`,
    "point it at a regular file",
  );
}

/** The whole file, refused when over `limit` bytes; reads at most the size the handle had. */
export async function readBounded(
  path: string,
  shown: string,
  limit: number,
): Promise<{ ok: true; bytes: Buffer } | FileRefusal> {
  const opened = await openRegular(path, shown);
  if (!opened.ok) return opened;
  const { handle, size } = opened;
  try {
    if (size > limit)
      return refuse(
        "file-too-large",
        `${shown} is ${formatBytes(size)}, over the ${formatBytes(limit)} limit for one file`,
        "shrink or re-encode it",
      );
    const bytes = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(bytes, got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { ok: true, bytes: got === size ? bytes : bytes.subarray(0, got) };
  } finally {
    await handle.close();
  }
}

/** A file a record names: contained, regular, and at most `limit` bytes. */
export async function readContained(
  ref: string,
  namingFile: string,
  allowed: AllowedFolders,
  limit: number,
): Promise<{ ok: true; bytes: Buffer; path: string } | FileRefusal> {
  const found = await resolveContained(ref, namingFile, allowed);
  if (!found.ok) return found;
  const read = await readBounded(found.path, `path \`${showText(ref)}\``, limit);
  return read.ok ? { ...read, path: found.path } : read;
}

/**
 * A spec-level file read whole and synchronously (a tokenizer.json): it must be a regular file of
 * at most `limit` bytes. Throws an Error whose message says why not.
 */
export function readRegularFileSync(path: string, limit: number): Buffer {
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`it is ${fileKind(st)}, not a regular file`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw new Error(`it is ${fileKind(opened)}, not a regular file`);
    if (opened.size > limit)
      throw new Error(`it is ${formatBytes(opened.size)}, over the ${formatBytes(limit)} limit`);
    const bytes = Buffer.allocUnsafe(opened.size);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
