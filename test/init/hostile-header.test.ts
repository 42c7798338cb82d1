// Hostile safetensors files: whatever the bytes, reading a header gives either a checked header
// or a WeightsFileError (never another exception, never a read past the file), and `mmc check`
// of a spec naming such a file exits 1 with the file's name and what is wrong.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { readFileHeader, WeightsFileError } from "../../src/runtime/checkpoint/weights-files.js";
import { llamaTensors, safetensorsBytes } from "./hf-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-hostile-st-"));
const valid = safetensorsBytes(
  llamaTensors({ vocab: 8, width: 4, depth: 1, heads: 1, kvHeads: 1, hidden: 4 }),
  1,
);
const headerLen = Number(new DataView(valid.buffer).getBigUint64(0, true));

function withHeader(json: string, data: number): Uint8Array {
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

/** The named attacks, each a file. */
const ATTACKS: Record<string, Uint8Array> = {
  "huge length": (() => {
    const b = valid.slice();
    new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true);
    return b;
  })(),
  "length past the end": (() => {
    const b = valid.slice(0, 8 + headerLen - 1);
    return b;
  })(),
  "bad JSON": withHeader('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]', 4),
  "not an object": withHeader("[1, 2, 3]", 0),
  "offsets past the end": withHeader(
    '{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}',
    8,
  ),
  "overlapping ranges": withHeader(
    '{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}',
    12,
  ),
  "shape disagrees with range": withHeader(
    '{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}',
    8,
  ),
  "unknown dtype": withHeader('{"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}', 4),
  "negative offset": withHeader(
    '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}',
    4,
  ),
  "bytes after the data": withHeader(
    '{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}',
    12,
  ),
  "shorter than 8 bytes": new Uint8Array([1, 2, 3]),
};

function read(bytes: Uint8Array, name = "x.safetensors"): unknown {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  try {
    return readFileHeader(path);
  } catch (e) {
    return e;
  }
}

describe("hostile safetensors headers", () => {
  test("the valid file reads", () => {
    expect(read(valid)).not.toBeInstanceOf(Error);
  });

  test.each(Object.keys(ATTACKS))("%s is refused in words", (name) => {
    const e = read(ATTACKS[name]!);
    expect(e).toBeInstanceOf(WeightsFileError);
    expect((e as WeightsFileError).problem).toBe("header");
    expect((e as Error).message).toMatch(/^`.*x\.safetensors` is not a valid safetensors file: /);
  });

  test("any mangling of a valid file reads or is a WeightsFileError", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length + 16), fc.integer({ min: 0, max: 255 })), {
          maxLength: 8,
        }),
        fc.option(fc.nat(valid.length + 16)),
        (edits, cut) => {
          let b = valid.slice();
          for (const [at, byte] of edits) if (at < b.length) b[at] = byte;
          if (cut !== null) b = b.slice(0, cut);
          const r = read(b);
          return !(r instanceof Error) || r instanceof WeightsFileError;
        },
      ),
      { numRuns: 300 },
    );
  });

  test("mmc check of a spec naming a hostile file exits 1 with a located error", () => {
    writeFileSync(join(dir, "bad.safetensors"), ATTACKS["overlapping ranges"]!);
    writeFileSync(
      join(dir, "spec.mm"),
      'import { Decoder } from "std/llm"\nmodel M { llm: Decoder { vocab: 8, width: 4, depth: 1, heads: 1, init: safetensors("bad.safetensors") } }\n',
    );
    const r = spawnSync(
      "node",
      [join(import.meta.dirname, "..", "..", "bin", "mmc"), "check", join(dir, "spec.mm")],
      {
        encoding: "utf8",
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(
      /error\[MM9004\]: `.*bad\.safetensors` is not a valid safetensors file: tensor `b` overlaps the one before it/,
    );
    expect(r.stdout + r.stderr).toMatch(/spec\.mm:2:/);
  });
});
