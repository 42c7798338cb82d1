// The file-system side of module loading: reads `.mm` files as strict UTF-8 and maps
// `std/...` modules to the package's stdlib/ folder under the display prefix `<std>/`. Only
// regular files of a bounded size are read: a device, pipe or socket (or a link to one) is
// named for what it is instead of being read, which could hang or fill memory.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
  type Stats,
} from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleHost, ReadResult, TokenizerIdsInfo } from "../resolve/program.js";
import { readRegularFileSync } from "../runtime/data/contained-file.js";
import { MAX_TOKENIZER_BYTES } from "../runtime/data/limits.js";
import { countTokenizerIds } from "../runtime/data/tokenizer-ids.js";
import type { WeightsReader } from "../check/init.js";
import { weightsReader } from "../runtime/checkpoint/weights-files.js";

/** The mmc package folder: the nearest folder above this file with stdlib/ and package.json. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "stdlib")) && existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the mmc package folder (stdlib/ and package.json) above the CLI");
}

export const PACKAGE_ROOT = findPackageRoot();
export const STDLIB_DIR = join(PACKAGE_ROOT, "stdlib");
const STD_PREFIX = "<std>/";

export function realPath(displayPath: string): string {
  return displayPath.startsWith(STD_PREFIX)
    ? join(STDLIB_DIR, displayPath.slice(STD_PREFIX.length))
    : displayPath;
}

/** Offset of the first byte that breaks UTF-8, or -1 if the buffer is valid. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return -1;
  } catch {
    // Find the first bad sequence by decoding growing prefixes at character boundaries.
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i] ?? 0;
      const len = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
      if (len === 0 || i + len > bytes.length) return i;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + len));
      } catch {
        return i;
      }
      i += len;
    }
    return 0;
  }
}

/** The largest file read as a spec; the largest real spec is a few hundred KiB. */
export const MAX_SPEC_BYTES = 32 * 2 ** 20;

/** "a character device", "a FIFO (named pipe)", ... for a file that is not regular. */
function fileKind(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isSocket()) return "a socket";
  return "a special file";
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the path is too long",
  EIO: "an input/output error",
};

/** Where a path stands before reading it: a regular file's size, or why it cannot be read. */
function inspect(real: string): { size: number } | Exclude<ReadResult, { ok: true }> {
  if (real.includes("\0")) {
    return {
      ok: false,
      reason: "unreadable",
      what: "cannot be read: its path holds a NUL byte",
    };
  }
  let link: string | undefined;
  try {
    if (lstatSync(real).isSymbolicLink()) link = readlinkSync(real);
  } catch {
    // Reported by statSync below.
  }
  const via = link === undefined ? "" : `is a link to \`${link}\`, which `;
  let s: Stats;
  try {
    s = statSync(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT" || code === "ENOTDIR")
      return { ok: false, reason: "missing", ...(via ? { what: `${via}does not exist` } : {}) };
    return {
      ok: false,
      reason: "unreadable",
      what: `${via}cannot be read (${ERRNO_WORDS[code] ?? code})`,
    };
  }
  if (s.isDirectory()) {
    return {
      ok: false,
      reason: "directory",
      ...(via ? { what: `${via}is a directory, not a file` } : {}),
    };
  }
  if (!s.isFile())
    return { ok: false, reason: "not-a-file", what: `${via}is ${fileKind(s)}, not a \`.mm\` file` };
  if (s.size > MAX_SPEC_BYTES) {
    return {
      ok: false,
      reason: "unreadable",
      what: `${via}is ${(s.size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_SPEC_BYTES / 2 ** 20} MiB mmc reads as a spec`,
    };
  }
  return { size: s.size };
}

export function readModule(path: string): ReadResult {
  const real = realPath(path);
  const where = inspect(real);
  if ("ok" in where) return where;
  // Opened without blocking and checked again on the open file: a path swapped for a pipe
  // between the two looks is still not read.
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const s = fstatSync(fd);
    if (!s.isFile())
      return { ok: false, reason: "not-a-file", what: `is ${fileKind(s)}, not a \`.mm\` file` };
    if (s.size > MAX_SPEC_BYTES)
      return {
        ok: false,
        reason: "unreadable",
        what: `is more than ${MAX_SPEC_BYTES / 2 ** 20} MiB`,
      };
    bytes = readFileSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "ENOENT" || code === "ENOTDIR") return { ok: false, reason: "missing" };
    return {
      ok: false,
      reason: "unreadable",
      what: `cannot be read (${ERRNO_WORDS[code] ?? code})`,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > MAX_SPEC_BYTES)
    return {
      ok: false,
      reason: "unreadable",
      what: `is more than ${MAX_SPEC_BYTES / 2 ** 20} MiB`,
    };
  const bad = invalidUtf8Offset(bytes);
  if (bad !== -1) {
    const text = bytes.toString("utf8");
    return {
      ok: false,
      reason: "not-utf8",
      offset: bad,
      text,
      charOffset: bytes.subarray(0, bad).toString("utf8").length,
    };
  }
  const text = bytes.toString("utf8");
  return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

/**
 * The ids of the tokenizer.json at `path` (and its tokenizer_config.json, read as the run reads
 * it), or undefined when either cannot be read or parsed: the run reports that in its words.
 */
export function tokenizerIds(path: string): TokenizerIdsInfo | undefined {
  if (path.startsWith(STD_PREFIX) || path.includes("\0")) return undefined;
  try {
    if (!existsSync(path)) return undefined;
    const configPath = join(dirname(path), "tokenizer_config.json");
    const config: unknown = existsSync(configPath)
      ? JSON.parse(readRegularFileSync(configPath, MAX_TOKENIZER_BYTES).toString("utf8"))
      : {};
    return countTokenizerIds(readRegularFileSync(path, MAX_TOKENIZER_BYTES), config);
  } catch {
    return undefined;
  }
}

export const fileHost: ModuleHost & { readonly weights: WeightsReader } = {
  read: readModule,
  tokenizerIds,
  // `init` weights: their headers, read for the checker (no weights are loaded).
  weights: weightsReader,
  stdlibFile: (module) => `${STD_PREFIX}${module.slice("std/".length)}.mm`,
};
