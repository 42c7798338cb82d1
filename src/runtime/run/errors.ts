// How a run's failures that are the user's or the machine's reach the terminal: RunError (one
// line, exit 1, with what to do), file system errors in words, and paths shown with their
// control characters escaped, so a name from a spec or a flag cannot rewrite the terminal.
import { isAbsolute, relative } from "node:path";
import { escapeControls } from "../escape.js";

export { escapeControls };

/** A run that cannot go on, with a message for the user (not a bug in mmc). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunError";
  }
}

/**
 * `path` for a message: relative to the working folder when it lies inside it, with control
 * characters (NUL, escape, newlines...) written as `\xNN` escapes.
 */
export function showPath(path: string): string {
  const rel = isAbsolute(path) ? relative(process.cwd(), path) : path;
  const shown = rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
  return escapeControls(shown);
}

/** A path no file system accepts: the reason, or undefined when it is fine. */
export function badPath(path: string): string | undefined {
  if (path.includes("\0")) return "it contains a NUL byte, which no file system allows in a name";
  if (path.trim() === "") return "it is empty";
  return undefined;
}

const FS_REASONS: Record<string, string> = {
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  EEXIST: "something is already there",
  EACCES: "permission denied",
  EPERM: "the operation is not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "no space is left on the device",
  EDQUOT: "the disk quota is used up",
  EFBIG: "the file would be larger than this machine allows (`ulimit -f`)",
  ENAMETOOLONG: "the name is too long for the file system",
  ELOOP: "it has too many levels of symbolic links",
  ENOENT: "it does not exist",
  EIO: "the device reported an input/output error",
  EMFILE: "too many files are open",
  ENFILE: "too many files are open on this machine",
  EBUSY: "it is in use",
  EXDEV: "it would cross file systems",
};

const SYSCALL_VERBS: Record<string, string> = {
  mkdir: "create the folder",
  open: "open",
  write: "write",
  read: "read",
  rename: "move",
  unlink: "remove",
  rmdir: "remove",
  scandir: "read the folder",
  stat: "look at",
  lstat: "look at",
  copyfile: "copy",
};

/** Whether `e` is an error from the file system (it has an errno code we can word). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return e instanceof Error && typeof code === "string" && code in FS_REASONS;
}

/** An error from the file system in words, with its code: "no space is left on the device (ENOSPC)". */
export function fsReason(e: NodeJS.ErrnoException): string {
  const code = e.code ?? "";
  return `${FS_REASONS[code] ?? e.message.split("\n")[0]} (${code})`;
}

/** What to do about a file system error, where there is something to say. */
export function fsFix(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return "free some space (older runs, `.old-N` folders), or lower `checkpoint.keep`, and run again";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "choose a folder you can write to";
    case "ENOTDIR":
    case "EEXIST":
    case "EISDIR":
      return "move what is in the way, or choose another folder";
    default:
      return "fix the path or the file system, and run again";
  }
}

/** A RunError for a file system error while doing `what` (e.g. "cannot write the checkpoint `x`"). */
export function fsRunError(what: string, e: NodeJS.ErrnoException): RunError {
  return new RunError(`${what}: ${fsReason(e)}; ${fsFix(e)}`);
}

/**
 * The one line for an error from the file system (or a path with a NUL byte, which Node refuses
 * before asking it), for the command lines' last resort; undefined for any other error.
 */
export function fsErrorLine(e: unknown): string | undefined {
  if (isFsError(e)) {
    const path = typeof e.path === "string" ? ` \`${showPath(e.path)}\`` : "";
    const verb = SYSCALL_VERBS[e.syscall ?? ""] ?? "use";
    return fsRunError(`cannot ${verb}${path}`, e).message;
  }
  const err = e as NodeJS.ErrnoException | null;
  if (
    err instanceof Error &&
    err.code === "ERR_INVALID_ARG_VALUE" &&
    /null bytes/.test(err.message)
  )
    return "a path contains a NUL byte, which no file system allows in a name: remove it from the spec or the command line";
  return undefined;
}
