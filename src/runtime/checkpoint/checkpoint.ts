// Training checkpoints: weights (`param.<name>`), AdamW moments (`adam_m.<name>`, `adam_v.<name>`)
// and JSON metadata (step, backend, data-stream state, a SHA-256 per tensor) in one safetensors
// file per step, written atomically; a file that does not verify is an error, never loaded.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs-core";
import { escapeControls } from "../escape.js";
import type { Params } from "../params.js";
import type { AdamW } from "../train/adamw.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  toLittleEndianBytes,
  type StTensor,
} from "./safetensors.js";
import { writeCheckpointFile } from "./store.js";

/** What a checkpoint's metadata records for each tensor, so a changed byte is found on load. */
export interface TensorRecord {
  readonly dtype: "F32" | "I32";
  readonly shape: readonly number[];
  /** SHA-256 of the tensor's little-endian bytes, hex. */
  readonly sha256: string;
}

/** What the caller gives `saveCheckpoint`; the tensor records are added there. */
export interface CheckpointState {
  /** Optimizer steps completed. */
  readonly step: number;
  readonly backend: string;
  /** The backend's threads when it was saved (wasm: XNNPACK's pool; cpu: 1), where known. */
  readonly threads?: number;
  /** The data stream's state (e.g. DataStream.getState()), to continue the same stream. */
  readonly data?: unknown;
  /** Anything else the caller keeps (RNG state, run name...). */
  readonly extra?: unknown;
  /** The divergence watch's state, so a resumed run judges losses as an uninterrupted one would. */
  readonly watch?: unknown;
  readonly savedAt?: string;
}

export interface CheckpointMeta extends CheckpointState {
  /** 2: per-tensor checksums (format 1, `latest.safetensors` with none, is refused). */
  readonly format: 2;
  readonly tensors: Readonly<Record<string, TensorRecord>>;
}

export type CheckpointProblem = "damaged" | "old-format" | "unreadable" | "mismatch";

/**
 * A checkpoint that cannot be used, naming the file: `damaged` (truncated, garbled, a checksum
 * that does not match), `old-format` (written by an mmc without checksums), `unreadable` (the
 * file system refused), `mismatch` (it does not fit the model it is loaded into).
 */
export class CheckpointError extends Error {
  constructor(
    readonly path: string,
    readonly problem: CheckpointProblem,
    readonly reason: string,
    /** The file system's error, for `unreadable`. */
    readonly fsError?: NodeJS.ErrnoException,
  ) {
    super(
      `\`${path}\` ${problem === "mismatch" ? "does not fit the model" : problem === "damaged" ? "is damaged" : "cannot be used"}: ${reason}`,
    );
    this.name = "CheckpointError";
  }
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function snapshot(v: tf.Variable): Promise<StTensor> {
  return { dtype: "F32", shape: v.shape, data: (await v.data()) as Float32Array };
}

/** The tensors a checkpoint of `params` (and `optimizer`) holds, by their names in the file. */
async function checkpointTensors(
  params: Params,
  optimizer: AdamW | undefined,
): Promise<Map<string, StTensor>> {
  const tensors = new Map<string, StTensor>();
  for (const [name, v] of params.entries()) tensors.set(`param.${name}`, await snapshot(v));
  if (optimizer !== undefined) {
    for (const [name, v] of optimizer.m) tensors.set(`adam_m.${name}`, await snapshot(v));
    for (const [name, v] of optimizer.v) tensors.set(`adam_v.${name}`, await snapshot(v));
  }
  return tensors;
}

/** Encodes a checkpoint: the tensors, and metadata with a checksum of each and of itself. */
export function encodeCheckpoint(
  tensors: ReadonlyMap<string, StTensor>,
  state: CheckpointState,
): Uint8Array {
  const records: Record<string, TensorRecord> = {};
  for (const [name, t] of tensors)
    records[name] = { dtype: t.dtype, shape: t.shape, sha256: sha256(toLittleEndianBytes(t.data)) };
  const meta: CheckpointMeta = { format: 2, ...state, tensors: records };
  const json = JSON.stringify(meta);
  return encodeSafetensors(tensors, { mmc: json, mmc_sha256: sha256(json) });
}

/**
 * Writes the checkpoint of `params` and `optimizer` at `state.step` to
 * `dir/step-<step>.safetensors`, points `latest.json` at it and keeps the newest `keep`
 * checkpoints (see store.ts); returns the file's path.
 */
export async function saveCheckpoint(
  dir: string,
  params: Params,
  optimizer: AdamW | undefined,
  state: CheckpointState,
  options: { readonly keep?: number } = {},
): Promise<string> {
  const bytes = encodeCheckpoint(await checkpointTensors(params, optimizer), state);
  return writeCheckpointFile(dir, state.step, bytes, options.keep);
}

export interface LoadedCheckpoint {
  readonly meta: CheckpointMeta;
  /** The SHA-256 of the metadata (which holds every tensor's): the checkpoint's identity. */
  readonly sha256: string;
  readonly path: string;
  readonly tensors: ReadonlyMap<string, StTensor>;
}

function damaged(path: string, reason: string): CheckpointError {
  return new CheckpointError(path, "damaged", reason);
}

/** Parses and checks the `mmc` metadata; throws a CheckpointError naming `path`. */
function parseMeta(path: string, metadata: Record<string, string>): CheckpointMeta {
  const raw = metadata["mmc"];
  if (raw === undefined)
    throw new CheckpointError(
      path,
      "old-format",
      "it has no mmc metadata: it is not an mmc checkpoint",
    );
  let meta: unknown;
  try {
    meta = JSON.parse(raw);
  } catch {
    throw damaged(path, "its metadata is not valid JSON");
  }
  const m = meta as Partial<CheckpointMeta> & { format?: unknown };
  if (typeof meta !== "object" || meta === null)
    throw damaged(path, "its metadata is not a JSON object");
  if ((meta as { format?: unknown }).format === 1)
    throw new CheckpointError(
      path,
      "old-format",
      "it was written by an older mmc, without checksums, so it cannot be verified",
    );
  const sum = metadata["mmc_sha256"];
  if (sum === undefined || sum !== sha256(raw))
    throw damaged(path, "its metadata does not match its checksum");
  if (m.format !== 2 || !Number.isSafeInteger(m.step) || (m.step as number) < 0)
    throw damaged(path, "its metadata has no valid `format` and `step`");
  if (typeof m.tensors !== "object" || m.tensors === null)
    throw damaged(path, "its metadata lists no tensor checksums");
  return meta as CheckpointMeta;
}

/**
 * Reads `path` and verifies it completely: the safetensors layout, the metadata's own checksum,
 * and every tensor's dtype, shape and SHA-256 against the metadata. Throws a CheckpointError.
 */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CheckpointError(path, "unreadable", err.message.split("\n")[0] ?? "", err);
  }
  return verifyCheckpointBytes(path, bytes);
}

/** verifyCheckpoint's work on bytes in memory (`path` names them in errors). */
export function verifyCheckpointBytes(path: string, bytes: Uint8Array): LoadedCheckpoint {
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) throw damaged(path, e.message);
    throw e;
  }
  const meta = parseMeta(path, file.metadata);
  const listed = Object.keys(meta.tensors);
  for (const name of listed) {
    const shown = escapeControls(name);
    const want = meta.tensors[name] as TensorRecord;
    const t = file.tensors.get(name);
    if (t === undefined)
      throw damaged(path, `tensor \`${shown}\` is listed in its metadata but missing`);
    if (t.dtype !== want.dtype || t.shape.join(",") !== want.shape.join(","))
      throw damaged(
        path,
        `tensor \`${shown}\` has a dtype or shape that its metadata does not record`,
      );
    if (sha256(toLittleEndianBytes(t.data)) !== want.sha256)
      throw damaged(path, `the checksum of tensor \`${shown}\` does not match its data`);
  }
  if (file.tensors.size !== listed.length) {
    const extra = [...file.tensors.keys()].find((n) => !(n in meta.tensors));
    throw damaged(
      path,
      `tensor \`${escapeControls(extra ?? "?")}\` is in the file but not in its metadata`,
    );
  }
  return { meta, sha256: file.metadata["mmc_sha256"] as string, path, tensors: file.tensors };
}

/**
 * Puts a verified checkpoint's tensors into `params` (and `optimizer`, with its step). The model
 * must have exactly the checkpoint's tensors, with the same shapes: the first that differs is
 * named with both shapes (a CheckpointError of kind `mismatch`).
 */
export function applyCheckpoint(loaded: LoadedCheckpoint, params: Params, optimizer?: AdamW): void {
  const targets = new Map<string, tf.Variable>();
  for (const [name, v] of params.entries()) targets.set(`param.${name}`, v);
  if (optimizer !== undefined) {
    for (const [name, v] of optimizer.m) targets.set(`adam_m.${name}`, v);
    for (const [name, v] of optimizer.v) targets.set(`adam_v.${name}`, v);
  }
  const mismatch = (reason: string): CheckpointError =>
    new CheckpointError(loaded.path, "mismatch", reason);
  // Check everything before assigning anything, so a mismatch leaves the model as it was.
  for (const [key, target] of targets) {
    const t = loaded.tensors.get(key);
    if (t === undefined)
      throw mismatch(
        `the model has \`${key}\` [${target.shape.join(", ")}], the checkpoint does not`,
      );
    if (t.shape.join(",") !== target.shape.join(","))
      throw mismatch(
        `\`${key}\` is [${t.shape.join(", ")}] in the checkpoint and [${target.shape.join(", ")}] in the model`,
      );
  }
  const params_ = [...loaded.tensors.keys()].filter((k) => k.startsWith("param."));
  const unknown = params_.find((k) => !targets.has(k));
  if (unknown !== undefined)
    throw mismatch(`the checkpoint has \`${escapeControls(unknown)}\`, which the model does not`);
  for (const [key, target] of targets) {
    const t = loaded.tensors.get(key) as StTensor;
    tf.tidy(() => target.assign(tf.tensor(t.data, [...t.shape], "float32")));
  }
  if (optimizer !== undefined) optimizer.step = loaded.meta.step;
}
