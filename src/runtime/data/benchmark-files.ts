// Shared by the benchmark readers (COCO captions, VQA): a JSON file read whole within a size
// limit, image names kept inside the image folder (no absolute paths, no `..`, no symlink out,
// regular files only), and user text made safe to print.
import { constants } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { fileKind, isInside } from "./contained-file.js";
import { DataError, IssueSink, type DataIssue, type IssueOptions } from "./issues.js";
import { formatBytes } from "./limits.js";
import { showText } from "./show-text.js";

export { showText };

/** JSON.parse needs the whole text as one string; V8 strings stop at about 512 Mi characters. */
export const MAX_BENCHMARK_JSON_BYTES = 500 * 1024 * 1024;

export interface BenchmarkOptions extends IssueOptions {
  /** The name issues are reported under (the `source` of a DataIssue). */
  name?: string;
}

/** Counts of what was read and what was skipped, and the issues by code. */
export interface BenchmarkCounts {
  read: number;
  skipped: number;
  issues: Record<string, number>;
}

/** Reads and parses a whole JSON file, or throws a DataError saying what to fix. */
export async function readJsonFile(
  path: string,
  what: string,
  limit = MAX_BENCHMARK_JSON_BYTES,
): Promise<unknown> {
  const shown = `${what} \`${showText(path)}\``;
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new DataError(`${shown} does not exist`);
  }
  if (!st.isFile()) throw new DataError(`${shown} is ${fileKind(st)}, not a regular file`);
  if (st.size > limit)
    throw new DataError(
      `${shown} is ${formatBytes(st.size)}, over the ${formatBytes(limit)} limit for one JSON file: split it`,
    );
  // O_NONBLOCK: a FIFO swapped in after the check must not hang the read.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let text: string;
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.size > limit)
      throw new DataError(`${shown} changed while it was opened; try again`);
    text = (await handle.readFile()).toString("utf8");
  } finally {
    await handle.close();
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DataError(`${shown} is not valid JSON: ${showText((e as Error).message)}`);
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The array `key` of a file's top-level object, or a DataError naming the file and the key. */
export function topLevelArray(
  doc: unknown,
  key: string,
  shown: string,
  example: string,
): unknown[] {
  if (!isObject(doc) || !Array.isArray(doc[key]))
    throw new DataError(`${shown} has no \`${key}\` list at the top level; expected ${example}`);
  return doc[key] as unknown[];
}

/** A COCO or VQA id: a non-negative integer, or a non-empty string. */
export function readId(v: unknown): number | string | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === "string" && v !== "") return v;
  return undefined;
}

export type ImageRefusal = Pick<DataIssue, "code" | "message" | "fix">;

/** The image folder, resolved once: as given and with its symlinks resolved. */
export class ImageFolder {
  private real: Promise<string> | undefined;
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async check(): Promise<void> {
    let st;
    try {
      st = await stat(this.dir);
    } catch {
      throw new DataError(`image folder \`${showText(this.dir)}\` does not exist`);
    }
    if (!st.isDirectory())
      throw new DataError(`image folder \`${showText(this.dir)}\` is not a directory`);
  }

  private realDir(): Promise<string> {
    this.real ??= realpath(this.dir);
    return this.real;
  }

  /**
   * The real path of image `name` inside the folder, or why it cannot be used. Names are
   * relative to the folder; absolute names and `..` are refused before the file system is asked.
   */
  async resolve(
    name: string,
  ): Promise<{ ok: true; path: string } | { ok: false; refusal: ImageRefusal }> {
    const shown = `\`${showText(name)}\``;
    const refuse = (code: DataIssue["code"], message: string, fix: string) => ({
      ok: false as const,
      refusal: { code, message, fix },
    });
    if (name === "" || name.includes("\u0000"))
      return refuse("bad-path", `image name ${shown} is empty or has a NUL byte`, "fix the name");
    if (isAbsolute(name) || name.split(/[\\/]/).includes(".."))
      return refuse(
        "outside-data-folder",
        `image name ${shown} is absolute or climbs out with \`..\``,
        "image names are relative to the image folder; keep the images inside it",
      );
    const candidate = resolve(this.dir, name);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return refuse(
        "missing-file",
        `image ${shown} is not in the image folder`,
        "check the image folder and the file names",
      );
    }
    if (!isInside(real, await this.realDir()))
      return refuse(
        "outside-data-folder",
        `image ${shown} is a link to a file outside the image folder`,
        "copy the image into the folder instead of linking it",
      );
    const st = await stat(real).catch(() => undefined);
    if (!st?.isFile())
      return refuse(
        "not-regular-file",
        `image ${shown} is ${st ? fileKind(st) : "gone"}, not a regular file`,
        "point it at an image file",
      );
    return { ok: true, path: real };
  }
}

/** An IssueSink for one benchmark file, and the `report` shorthand the readers use. */
export function benchmarkIssues(
  options: BenchmarkOptions,
  fallbackName: string,
): { sink: IssueSink; report: (file: string, position: string, r: ImageRefusal) => void } {
  const sink = new IssueSink(options);
  const source = options.name ?? fallbackName;
  return {
    sink,
    report: (file, position, r) => sink.report({ source, file, position, ...r }),
  };
}

/** The issue counts for one benchmark source, as `{ code: n }`. */
export function issueCounts(sink: IssueSink): Record<string, number> {
  const all = sink.summary();
  const out: Record<string, number> = {};
  for (const byCode of Object.values(all))
    for (const [code, n] of Object.entries(byCode)) out[code] = (out[code] ?? 0) + n;
  return out;
}
