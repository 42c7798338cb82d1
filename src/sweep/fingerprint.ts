// A sweep point's fingerprint: sha256 over a canonical JSON of what trains (the resolved model
// and train, after overrides and `--steps`), so a re-run can tell exactly which points changed.
// Names, docs and spans are left out: renaming a model or moving a line changes no training.
// The pretrained weights a point reads (`init`) are part of what trains: each file's size, its
// safetensors header bytes and samples of its data section are hashed too (initFileDigest).
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { CheckedTrain } from "../check/ir.js";

/** JSON with object keys sorted at every level and `undefined` fields dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return JSON.stringify(String(value));
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** `value` without its source locations (`span`, `spans`, `everySpan`, ...), at every level. */
function withoutSpans(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withoutSpans);
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== "span" && k !== "spans" && !k.endsWith("Span"))
      .map(([k, v]) => [k, withoutSpans(v)]),
  );
}

/** Samples of a weights file's data section hashed into the fingerprint, and their size. */
export const INIT_SAMPLES = 16;
export const INIT_SAMPLE_BYTES = 4096;

/**
 * What a point's fingerprint knows of one weights file: its size and a sha256 over its first
 * 8 bytes and header (names, dtypes, shapes, offsets) and 16 samples of
 * 4,096 bytes spread evenly over the data after it (all of it when that is
 * smaller). Bounded (at most the header and 64 KiB read), so a sweep over a large checkpoint
 * starts at once; a file replaced by other weights of the same shapes changes its samples. A
 * file that cannot be read (the checker read it a moment ago) is fingerprinted as missing.
 */
export function initFileDigest(path: string): { size: number; sha256: string } | "missing" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "missing";
  }
  try {
    const size = fstatSync(fd).size;
    const hash = createHash("sha256");
    const read = (start: number, length: number): void => {
      const n = Math.max(0, Math.min(length, size - start));
      if (n === 0) return;
      const buf = Buffer.alloc(n);
      const got = readSync(fd, buf, 0, n, start);
      hash.update(buf.subarray(0, got));
    };
    const first = Buffer.alloc(Math.min(8, size));
    readSync(fd, first, 0, first.length, 0);
    hash.update(first);
    // the header's length, little-endian u64 (the checker bounds it; a bad one hashes as is)
    const headerLen = first.length === 8 ? Number(first.readBigUInt64LE(0)) : 0;
    const dataStart = Math.min(size, 8 + Math.min(headerLen, 100 * 1024 * 1024));
    read(8, dataStart - 8);
    const data = size - dataStart;
    if (data <= INIT_SAMPLES * INIT_SAMPLE_BYTES) read(dataStart, data);
    else
      for (let i = 0; i < INIT_SAMPLES; i++) {
        const at = dataStart + Math.floor(((data - INIT_SAMPLE_BYTES) * i) / (INIT_SAMPLES - 1));
        read(at, INIT_SAMPLE_BYTES);
      }
    return { size, sha256: hash.digest("hex") };
  } catch {
    return "missing";
  } finally {
    closeSync(fd);
  }
}

/** The `init`s of a point's model with what their files hold (as initFileDigest and the map's bytes). */
function initsOf(train: CheckedTrain): unknown {
  return train.model.init?.map((i) => ({
    scope: i.scope,
    layout: i.source.layout,
    path: i.source.written.path,
    ...(i.source.written.map !== undefined ? { map: i.source.written.map } : {}),
    // the files the checker read (a folder's shards), and the name map (small JSON) whole
    files: (i.facts?.files ?? [i.source.path]).map((f) => initFileDigest(f)),
    ...(i.source.map !== undefined ? { map_file: wholeFileDigest(i.source.map) } : {}),
  }));
}

/** sha256 of a small file (a name map: the checker bounds its size), or "missing". */
function wholeFileDigest(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return "missing";
  }
  try {
    const size = Math.min(fstatSync(fd).size, 64 * 1024 * 1024);
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return createHash("sha256").update(buf).digest("hex");
  } catch {
    return "missing";
  } finally {
    closeSync(fd);
  }
}

/** What a point trains, without names, docs, spans or its checkpoint folder. */
export function resolvedConfig(train: CheckedTrain, steps: number): unknown {
  const { name: _dataName, ...data } = train.data;
  return withoutSpans({
    fingerprint: 1,
    // `tiles` only when set, so untiled points keep the fingerprints they had before it existed
    model: {
      image: train.model.image,
      ...(train.model.tiles ? { tiles: train.model.tiles } : {}),
      parts: train.model.parts,
    },
    data,
    steps,
    batch: train.batch,
    sequence: train.sequence,
    seed: train.seed,
    precision: train.precision,
    optimizer: train.optimizer,
    schedule: train.schedule,
    eval: train.eval,
    // each only when set, so the points without them keep the fingerprints they had before
    ...(train.model.init && train.model.init.length > 0 ? { init: initsOf(train) } : {}),
    ...(train.freeze ? { freeze: train.freeze.paths } : {}),
    ...(train.init
      ? { init_train: { train: train.init.train, upcycled: train.init.upcycledLayers } }
      : {}),
  });
}

export function fingerprint(train: CheckedTrain, steps: number): string {
  const hash = createHash("sha256").update(canonicalJson(resolvedConfig(train, steps)));
  return `sha256:${hash.digest("hex")}`;
}
