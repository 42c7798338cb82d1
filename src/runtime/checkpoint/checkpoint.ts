// Training checkpoints: weights (`param.<name>`), AdamW moments (`adam_m.<name>`, `adam_v.<name>`)
// and a JSON metadata blob (step, backend, data-sampler state, caller state) in one safetensors
// file, written atomically (temp file, fsync, rename) so a crash never leaves a torn checkpoint.
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../params.js";
import type { AdamW } from "../train/adamw.js";
import { decodeSafetensors, encodeSafetensors, type StTensor } from "./safetensors.js";

export const CHECKPOINT_FILE = "latest.safetensors";

export interface CheckpointMeta {
  readonly format: 1;
  /** Optimizer steps completed. */
  readonly step: number;
  readonly backend: string;
  /** The backend's threads when it was saved (wasm: XNNPACK's pool; cpu: 1), where known. */
  readonly threads?: number;
  /** The data stream's state (e.g. DataStream.getState()), to continue the same stream. */
  readonly data?: unknown;
  /** Anything else the caller keeps (RNG state, run name...). */
  readonly extra?: unknown;
  readonly savedAt?: string;
}

async function snapshot(v: tf.Variable): Promise<StTensor> {
  return { dtype: "F32", shape: v.shape, data: (await v.data()) as Float32Array };
}

/** Writes the checkpoint for `params` and `optimizer` to `dir/latest.safetensors`; returns the path. */
export async function saveCheckpoint(
  dir: string,
  params: Params,
  optimizer: AdamW | undefined,
  meta: CheckpointMeta,
): Promise<string> {
  const tensors = new Map<string, StTensor>();
  for (const [name, v] of params.entries()) tensors.set(`param.${name}`, await snapshot(v));
  if (optimizer !== undefined) {
    for (const [name, v] of optimizer.m) tensors.set(`adam_m.${name}`, await snapshot(v));
    for (const [name, v] of optimizer.v) tensors.set(`adam_v.${name}`, await snapshot(v));
  }
  const bytes = encodeSafetensors(tensors, { mmc: JSON.stringify(meta) });
  await mkdir(dir, { recursive: true });
  const path = join(dir, CHECKPOINT_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return path;
}

export interface LoadedCheckpoint {
  readonly meta: CheckpointMeta;
  readonly path: string;
}

/** The metadata of `dir`'s checkpoint, or undefined when there is none. */
export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta | undefined> {
  const loaded = await readCheckpointFile(dir);
  return loaded?.meta;
}

async function readCheckpointFile(
  dir: string,
): Promise<{ meta: CheckpointMeta; tensors: Map<string, StTensor>; path: string } | undefined> {
  const path = join(dir, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const file = decodeSafetensors(bytes);
  const raw = file.metadata["mmc"];
  if (raw === undefined) throw new Error(`${path} has no mmc metadata: not an mmc checkpoint`);
  return { meta: JSON.parse(raw) as CheckpointMeta, tensors: file.tensors, path };
}

/**
 * Loads `dir`'s checkpoint into `params` (and `optimizer`, with its step). Every manifest tensor
 * must be present with the same shape. Returns undefined when the folder has no checkpoint.
 */
export async function loadCheckpoint(
  dir: string,
  params: Params,
  optimizer?: AdamW,
): Promise<LoadedCheckpoint | undefined> {
  const file = await readCheckpointFile(dir);
  if (file === undefined) return undefined;
  const put = (key: string, target: tf.Variable): void => {
    const t = file.tensors.get(key);
    if (t === undefined) throw new Error(`${file.path} lacks \`${key}\``);
    if (t.shape.join(",") !== target.shape.join(",")) {
      throw new Error(
        `${file.path}: \`${key}\` is [${t.shape.join(", ")}], the model has [${target.shape.join(", ")}]`,
      );
    }
    tf.tidy(() => target.assign(tf.tensor(t.data, [...t.shape], "float32")));
  };
  for (const [name, v] of params.entries()) put(`param.${name}`, v);
  if (optimizer !== undefined) {
    for (const [name, v] of optimizer.m) put(`adam_m.${name}`, v);
    for (const [name, v] of optimizer.v) put(`adam_v.${name}`, v);
    optimizer.step = file.meta.step;
  }
  return { meta: file.meta, path: file.path };
}
