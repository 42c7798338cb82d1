// The file-system side of module loading: reads `.mm` files as strict UTF-8 and maps
// `std/...` modules to the package's stdlib/ folder under the display prefix `<std>/`.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleHost, ReadResult } from "../resolve/program.js";

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

export function readModule(path: string): ReadResult {
  const real = realPath(path);
  let bytes: Buffer;
  try {
    if (statSync(real).isDirectory()) return { ok: false, reason: "directory" };
    bytes = readFileSync(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      ok: false,
      reason: code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unreadable",
    };
  }
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

export const fileHost: ModuleHost = {
  read: readModule,
  stdlibFile: (module) => `${STD_PREFIX}${module.slice("std/".length)}.mm`,
};
