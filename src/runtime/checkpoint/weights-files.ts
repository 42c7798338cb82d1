// Pretrained weights on disk (`init: safetensors(...)`): a safetensors file, or a folder with a
// sharded index (`model.safetensors.index.json`) or a `model.safetensors`, and name-map JSON
// files. All untrusted: paths stay inside the spec's folder, headers are bounded and checked,
// data is read only where a checked header says. The checker reads headers, the run the tensors.
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileKind, isInside } from "../data/contained-file.js";
import { escapeControls } from "../escape.js";
import {
  headerLength,
  parseSafetensorsHeader,
  SafetensorsError,
  toFloat32,
  type StHeader,
} from "./safetensors.js";

export type WeightsProblem = "missing" | "outside" | "header" | "index" | "map";

/** A weights file or name map that cannot be used; `problem` says which kind of fault. */
export class WeightsFileError extends Error {
  constructor(
    readonly problem: WeightsProblem,
    message: string,
  ) {
    super(message);
    this.name = "WeightsFileError";
  }
}

export const INDEX_FILE = "model.safetensors.index.json";
export const SINGLE_FILE = "model.safetensors";
/** The most bytes of an index or a name map read (real ones are kilobytes). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** The most shard files an index may name (the largest public checkpoints have a few hundred). */
const MAX_SHARDS = 10_000;

const show = (p: string) => `\`${escapeControls(p)}\``;

function realInside(path: string, root: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new WeightsFileError("missing", `the weights ${show(path)} do not exist`);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root === "" ? "." : root);
  } catch {
    realRoot = root;
  }
  if (!isInside(real, realRoot))
    throw new WeightsFileError(
      "outside",
      `${show(path)} leads outside the spec's folder (it is ${show(real)})`,
    );
  return real;
}

/** A regular file's path, or an error saying what it is instead. */
function regularFile(path: string, what: string, shown: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new WeightsFileError("missing", `${what} ${show(shown)} does not exist`);
  if (!st.isFile())
    throw new WeightsFileError("missing", `${what} ${show(shown)} is ${fileKind(st)}, not a file`);
}

/** One file's checked header, read without its data. */
export function readFileHeader(path: string, shown: string = path): StHeader {
  regularFile(path, "the weights file", shown);
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const first = new Uint8Array(8);
    readSync(fd, first, 0, Math.min(8, size), 0);
    const len = headerLength(first, size);
    const json = new Uint8Array(len);
    if (len > 0 && readSync(fd, json, 0, len, 8) !== len)
      throw new SafetensorsError("its header could not be read whole: the file is truncated");
    return parseSafetensorsHeader(json, size);
  } catch (e) {
    if (e instanceof SafetensorsError)
      throw new WeightsFileError(
        "header",
        `${show(shown)} is not a valid safetensors file: ${e.message}`,
      );
    throw e;
  } finally {
    closeSync(fd);
  }
}

function readJson(path: string, problem: "index" | "map", what: string, shown: string): unknown {
  regularFile(path, what, shown);
  const st = statSync(path);
  if (st.size > MAX_JSON_BYTES)
    throw new WeightsFileError(
      problem,
      `${what} ${show(shown)} is ${st.size} bytes, more than the ${MAX_JSON_BYTES} mmc reads`,
    );
  const fd = openSync(path, "r");
  try {
    const bytes = new Uint8Array(st.size);
    readSync(fd, bytes, 0, st.size, 0);
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    if (e instanceof WeightsFileError) throw e;
    throw new WeightsFileError(problem, `${what} ${show(shown)} is not valid JSON`);
  } finally {
    closeSync(fd);
  }
}

function stringRecord(x: unknown): x is Record<string, string> {
  return (
    typeof x === "object" &&
    x !== null &&
    !Array.isArray(x) &&
    Object.values(x).every((v) => typeof v === "string")
  );
}

/** A shard name from an index is a plain file name beside it: no folders, no `..`, no controls. */
function plainFileName(name: string): boolean {
  return (
    name !== "" &&
    name !== "." &&
    name !== ".." &&
    !/[/\\]/.test(name) &&
    !/[\u0000-\u001f\u007f-\u009f]/.test(name)
  );
}

export interface WeightsTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The file that holds it (as shown, and its real path), and where its bytes are. */
  readonly file: string;
  readonly real: string;
  readonly offset: number;
  readonly bytes: number;
}

export interface WeightsSet {
  readonly files: readonly string[];
  readonly tensors: ReadonlyMap<string, WeightsTensor>;
}

function addHeader(
  file: string,
  real: string,
  h: StHeader,
  into: Map<string, WeightsTensor>,
): void {
  for (const e of h.entries)
    into.set(e.name, {
      dtype: e.dtype,
      shape: e.shape,
      file,
      real,
      offset: h.dataStart + e.start,
      bytes: e.end - e.start,
    });
}

/**
 * The tensors (headers only) of the weights at `path`, which must lie inside `root` (the folder
 * of the spec that names them), symbolic links followed. Throws `WeightsFileError`.
 */
export function readWeightsHeaders(path: string, root: string): WeightsSet {
  const real = realInside(path, root);
  const st = statSync(real);
  const tensors = new Map<string, WeightsTensor>();
  if (st.isFile()) {
    addHeader(path, real, readFileHeader(real, path), tensors);
    return { files: [path], tensors };
  }
  if (!st.isDirectory())
    throw new WeightsFileError(
      "missing",
      `the weights ${show(path)} are ${fileKind(st)}, not a file or folder`,
    );
  const index = join(real, INDEX_FILE);
  const shownIndex = join(path, INDEX_FILE);
  if (!statSync(index, { throwIfNoEntry: false })) {
    const single = join(real, SINGLE_FILE);
    if (!statSync(single, { throwIfNoEntry: false }))
      throw new WeightsFileError(
        "missing",
        `the folder ${show(path)} has neither \`${INDEX_FILE}\` nor \`${SINGLE_FILE}\``,
      );
    const shown = join(path, SINGLE_FILE);
    const singleReal = realInside(single, real);
    addHeader(shown, singleReal, readFileHeader(singleReal, shown), tensors);
    return { files: [shown], tensors };
  }
  const parsed = readJson(index, "index", "the index", shownIndex);
  const weightMap =
    typeof parsed === "object" && parsed !== null
      ? (parsed as { weight_map?: unknown }).weight_map
      : undefined;
  if (!stringRecord(weightMap))
    throw new WeightsFileError(
      "index",
      `the index ${show(shownIndex)} has no \`weight_map\` of tensor names to shard files`,
    );
  const shards = [...new Set(Object.values(weightMap))].sort();
  if (shards.length > MAX_SHARDS)
    throw new WeightsFileError(
      "index",
      `the index ${show(shownIndex)} names ${shards.length} shard files, more than ${MAX_SHARDS}`,
    );
  const files: string[] = [];
  for (const shard of shards) {
    if (!plainFileName(shard))
      throw new WeightsFileError(
        "outside",
        `the index ${show(shownIndex)} names the shard ${show(shard)}, which is not a file name beside it`,
      );
    const shown = join(path, shard);
    const shardReal = realInside(join(real, shard), real);
    const h = readFileHeader(shardReal, shown);
    for (const e of h.entries) {
      const listed = weightMap[e.name];
      if (listed !== shard)
        throw new WeightsFileError(
          "index",
          listed === undefined
            ? `the shard ${show(shown)} holds \`${escapeControls(e.name)}\`, which the index does not list`
            : `the shard ${show(shown)} holds \`${escapeControls(e.name)}\`, which the index places in ${show(listed)}`,
        );
    }
    addHeader(shown, shardReal, h, tensors);
    files.push(shown);
  }
  for (const [name, shard] of Object.entries(weightMap))
    if (!tensors.has(name))
      throw new WeightsFileError(
        "index",
        `the index ${show(shownIndex)} places \`${escapeControls(name)}\` in ${show(shard)}, which does not hold it`,
      );
  return { files, tensors };
}

/** A name map: a JSON object of strings, mmc name -> name in the file. */
export function readNameMap(path: string, root: string): Map<string, string> {
  const real = realInside(path, root);
  const parsed = readJson(real, "map", "the name map", path);
  if (!stringRecord(parsed))
    throw new WeightsFileError(
      "map",
      `the name map ${show(path)} is not a JSON object of strings (mmc name -> name in the file)`,
    );
  return new Map(Object.entries(parsed));
}

/** The checker's reader (src/check/init.ts's `WeightsReader`), answering in values, not throws. */
export const weightsReader = {
  header(path: string, root: string) {
    try {
      const set = readWeightsHeaders(path, root);
      return { ok: true as const, files: set.files, tensors: set.tensors };
    } catch (e) {
      if (e instanceof WeightsFileError)
        return { ok: false as const, problem: e.problem, message: e.message };
      throw e;
    }
  },
  nameMap(path: string, root: string) {
    try {
      return { ok: true as const, map: readNameMap(path, root) };
    } catch (e) {
      if (e instanceof WeightsFileError)
        return { ok: false as const, problem: e.problem, message: e.message };
      throw e;
    }
  },
};

/** Reads one tensor's values as fp32 (F32, BF16 and F16 only; the checker refuses the rest). */
export function readTensorValues(t: WeightsTensor): Float32Array {
  if (t.dtype !== "F32" && t.dtype !== "BF16" && t.dtype !== "F16")
    throw new WeightsFileError(
      "header",
      `a tensor of ${show(t.file)} is ${t.dtype}; mmc reads F32, BF16 and F16`,
    );
  const fd = openSync(t.real, "r");
  try {
    const bytes = new Uint8Array(t.bytes);
    if (t.bytes > 0 && readSync(fd, bytes, 0, t.bytes, t.offset) !== t.bytes)
      throw new WeightsFileError(
        "header",
        `${show(t.file)} ended inside a tensor: it is truncated`,
      );
    return toFloat32(bytes, t.dtype);
  } finally {
    closeSync(fd);
  }
}
