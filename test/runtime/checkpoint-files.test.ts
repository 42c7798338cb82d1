// Checkpoint files: strict safetensors decoding, a SHA-256 per tensor verified on load (a
// truncated, garbled or bit-flipped file is an error naming it, never loaded), step-numbered
// files with a pointer and the newest `keep` kept, resume falling back past a damaged file, and
// a model that changed named by its first differing tensor.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  applyCheckpoint,
  CheckpointError,
  encodeCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  verifyCheckpointBytes,
} from "../../src/runtime/checkpoint/checkpoint.js";
import { newestVerified } from "../../src/runtime/checkpoint/resume.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type StTensor,
} from "../../src/runtime/checkpoint/safetensors.js";
import { checkpointPath, DEFAULT_KEEP, POINTER_FILE } from "../../src/runtime/checkpoint/store.js";
import { defaultNumber } from "../../src/spec/fields.js";
import { CHECKPOINT_SETTINGS } from "../../src/spec/settings.js";
import { train } from "../../src/runtime/train/trainer.js";
import { patternBatch, tinyCode, tinyModel, useBackend } from "./helpers.js";

const { loss } = await tinyCode();

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "mmc-ckptf-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const tensors = (): Map<string, StTensor> =>
  new Map<string, StTensor>([
    [
      "param.a",
      { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
    ],
    ["param.b", { dtype: "F32", shape: [4], data: Float32Array.from([0.5, 0.25, -1, 2]) }],
  ]);
const good = (): Uint8Array => encodeCheckpoint(tensors(), { step: 7, backend: "cpu" });
const headerLength = (b: Uint8Array): number =>
  Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

/** The reason verifyCheckpointBytes gives for `bytes` (fails the test when they verify). */
function reasonFor(bytes: Uint8Array): string {
  try {
    verifyCheckpointBytes("x.safetensors", bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).path).toBe("x.safetensors");
    return (e as CheckpointError).reason;
  }
  throw new Error("the damaged bytes verified");
}

describe("a checkpoint file", () => {
  it("verifies as written, with a checksum per tensor in its metadata", () => {
    const loaded = verifyCheckpointBytes("x.safetensors", good());
    expect(loaded.meta.step).toBe(7);
    expect(Object.keys(loaded.meta.tensors)).toEqual(["param.a", "param.b"]);
    expect(loaded.meta.tensors["param.a"]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Array.from(loaded.tensors.get("param.b")!.data)).toEqual([0.5, 0.25, -1, 2]);
  });

  it("truncated anywhere is an error, never a half-read model", () => {
    const bytes = good();
    for (const cut of [0, 5, 8, 20, headerLength(bytes) + 8, bytes.length - 4, bytes.length - 1])
      expect(reasonFor(bytes.subarray(0, cut)), `cut at ${cut}`).toMatch(
        /truncated|fewer than|garbled/,
      );
  });

  it("with a bit flipped in a tensor names the tensor", () => {
    const bytes = good().slice();
    bytes[bytes.length - 3]! ^= 0x10; // inside param.b, the last tensor
    expect(reasonFor(bytes)).toBe("the checksum of tensor `param.b` does not match its data");
  });

  it("with a garbled header, metadata or trailing bytes is an error", () => {
    const bytes = good();
    const garbled = bytes.slice();
    garbled.set(Buffer.from("}}}}"), 8);
    expect(reasonFor(garbled)).toMatch(/header is not valid JSON/);
    // one digit of the step in the metadata: still valid JSON, caught by the metadata's checksum
    const text = Buffer.from(bytes).toString("latin1");
    const at = text.indexOf('\\"step\\":7') + '\\"step\\":'.length;
    const flipped = bytes.slice();
    flipped[at] = "8".charCodeAt(0);
    expect(reasonFor(flipped)).toBe("its metadata does not match its checksum");
    const longer = new Uint8Array(bytes.length + 4);
    longer.set(bytes);
    expect(reasonFor(longer)).toMatch(/4 bytes after its last tensor/);
  });

  it("written by mmc before checksums is refused as unverifiable", () => {
    const old = encodeSafetensors(tensors(), { mmc: JSON.stringify({ format: 1, step: 3 }) });
    expect(() => verifyCheckpointBytes("x", old)).toThrow(/older mmc, without checksums/);
  });

  it("decodes strictly: overlapping tensors and wrong sizes are errors", () => {
    const bytes = encodeSafetensors(tensors());
    const header = JSON.parse(
      Buffer.from(bytes.subarray(8, 8 + headerLength(bytes))).toString(),
    ) as Record<string, { data_offsets: number[]; shape: number[] }>;
    header["param.b"]!.data_offsets = [8, 24];
    const json = Buffer.from(JSON.stringify(header).padEnd(headerLength(bytes)));
    const bad = bytes.slice();
    bad.set(json, 8);
    expect(() => decodeSafetensors(bad)).toThrow(SafetensorsError);
  });
});

describe("the checkpoint folder", () => {
  it("keeps the newest `keep` step files and points at the newest", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const model = tinyModel({}, 2);
    await train({
      model,
      loss,
      batches: () => patternBatch(),
      steps: 7,
      optimizer: { lr: 1e-2 },
      schedule: { warmup: 1, final: 0.1 },
      checkpoint: { every: 1, dir, keep: 3 },
    });
    model.dispose();
    const names = (await readdir(dir)).sort();
    expect(names).toEqual([
      POINTER_FILE,
      "step-00000005.safetensors",
      "step-00000006.safetensors",
      "step-00000007.safetensors",
    ]);
    expect(JSON.parse(await readFile(join(dir, POINTER_FILE), "utf8"))).toEqual({
      step: 7,
      file: "step-00000007.safetensors",
    });
  });

  it("keeps 3 by default: the runtime reads the default from the settings table", () => {
    expect(DEFAULT_KEEP).toBe(3);
    expect(defaultNumber(CHECKPOINT_SETTINGS, "keep")).toBe(DEFAULT_KEEP);
  });

  it("resumes from the previous checkpoint past a damaged one, keeping the damaged file", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const model = tinyModel({}, 2);
    for (const step of [2, 4])
      await saveCheckpoint(dir, model.params, undefined, { step, backend: "cpu" });
    const newest = checkpointPath(dir, 4);
    const bytes = await readFile(newest);
    await writeFile(newest, bytes.subarray(0, bytes.length - 100));
    const notes: string[] = [];
    const loaded = await newestVerified(dir, {
      onFallback: (p) => notes.push(`${p.step} ${p.movedTo} ${p.resumedStep}`),
    });
    expect(loaded?.meta.step).toBe(2);
    expect(notes).toEqual([`4 ${newest}.damaged 2`]);
    expect((await readFile(`${newest}.damaged`)).length).toBe(bytes.length - 100);
    model.dispose();
  });

  it("with no checkpoint that verifies is an error naming the newest, and moves nothing", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const model = tinyModel({}, 2);
    await saveCheckpoint(dir, model.params, undefined, { step: 2, backend: "cpu" });
    const path = checkpointPath(dir, 2);
    const bytes = await readFile(path);
    bytes[bytes.length - 5]! ^= 1;
    await writeFile(path, bytes);
    await expect(newestVerified(dir)).rejects.toThrow(
      /step-00000002\.safetensors` is damaged: the checksum of tensor/,
    );
    expect(await readdir(dir)).toContain("step-00000002.safetensors");
    model.dispose();
  });

  it("refuses a model that changed, naming the first tensor and both shapes, loading nothing", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const saved = tinyModel({}, 2);
    await saveCheckpoint(dir, saved.params, undefined, { step: 1, backend: "cpu" });
    saved.dispose();
    const wider = tinyModel({ width: 64 }, 3);
    const before = await wider.params.get("llm.embed.weight").data();
    const loaded = await readCheckpoint(checkpointPath(dir, 1));
    expect(() => applyCheckpoint(loaded, wider.params)).toThrow(
      "`param.llm.embed.weight` is [40, 32] in the checkpoint and [40, 64] in the model",
    );
    expect(await wider.params.get("llm.embed.weight").data()).toEqual(before);
    wider.dispose();
  });

  it("is not rewritten by a resumed run asked for fewer steps than it holds", async () => {
    await useBackend("cpu");
    const dir = await tempDir();
    const base = {
      loss,
      batches: () => patternBatch(),
      optimizer: { lr: 1e-2 },
      schedule: { warmup: 1, final: 0.1 },
      checkpoint: { every: 3, dir },
    };
    const first = tinyModel({}, 2);
    await train({ ...base, model: first, steps: 4 });
    first.dispose();
    const before = (await readdir(dir)).sort();
    const again = tinyModel({}, 2);
    const r = await train({ ...base, model: again, steps: 2, resume: true });
    again.dispose();
    expect(r.stepsDone).toBe(4);
    // before the fix a `step-2` checkpoint holding the step-4 weights was written
    expect((await readdir(dir)).sort()).toEqual(before);
  });
});
