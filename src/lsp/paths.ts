// Document URIs and mmc's module paths. A file inside the workspace folder gets its path relative
// to that folder, as `mmc check` run there would name it (so messages read the same); other files
// keep their absolute path; a file of the installed standard library becomes `<std>/NAME.mm`,
// the path under which the resolver loads `std/NAME` (an open stdlib file and an import of it
// are one module).
import { platform as osPlatform } from "node:os";
import { posix, win32 } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const STD_PREFIX = "<std>/";

export class PathMap {
  /** The workspace folder (POSIX form, no trailing `/`) that paths are relative to, if any. */
  private root: string | undefined;

  /** `stdlibDir`: the installed stdlib/ folder, as a file-system path. */
  constructor(
    private readonly stdlibDir: string,
    private readonly platform: NodeJS.Platform = osPlatform(),
  ) {}

  setRoot(folder: string | undefined): void {
    this.root = folder === undefined ? undefined : this.toPosix(folder).replace(/\/+$/, "");
  }

  /** The resolver's path for a document URI, or undefined for URIs that are not files. */
  pathOf(uri: unknown): string | undefined {
    if (typeof uri !== "string" || !uri.startsWith("file:")) return undefined;
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      return undefined;
    }
    const path = this.toPosix(file);
    const std = this.toPosix(this.stdlibDir).replace(/\/+$/, "");
    if (path.startsWith(`${std}/`)) {
      const rest = path.slice(std.length + 1);
      if (!rest.includes("/")) return `${STD_PREFIX}${rest}`;
    }
    if (this.root && path.startsWith(`${this.root}/`)) return path.slice(this.root.length + 1);
    return path;
  }

  /** The file-system path of a resolver path. */
  fileOf(path: string): string {
    if (path.startsWith(STD_PREFIX))
      return `${this.toPosix(this.stdlibDir).replace(/\/+$/, "")}/${path.slice(STD_PREFIX.length)}`;
    if (this.root && !posix.isAbsolute(path) && !win32.isAbsolute(path))
      return `${this.root}/${path}`;
    return path;
  }

  /** The document URI of a resolver path (`<std>/llm.mm` is the installed file). */
  uriOf(path: string): string {
    const file = this.fileOf(path);
    return pathToFileURL(this.platform === "win32" ? win32.normalize(file) : file).href;
  }

  /**
   * The resolver joins imports with POSIX rules, so paths use `/` on every platform (Windows
   * accepts `C:/a/b.mm`).
   */
  private toPosix(file: string): string {
    return this.platform === "win32" ? file.replace(/\\/g, "/") : posix.normalize(file);
  }
}

/** Whether a resolver path names a file of the standard library. */
export function isStdPath(path: string): boolean {
  return path.startsWith(STD_PREFIX);
}
