// model.py's safetensors reader against the runtime's writer, and against malformed files: the
// runtime's tensors read back exactly; a file that lies about itself is a SafetensorsError
// naming the file, never a crash, a huge allocation or a read past the end.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { encodeSafetensors } from "../../src/runtime/checkpoint/safetensors.js";
import { runPython, torchPython } from "./python.js";

const python = torchPython("the PyTorch safetensors reader test");

/** A file with `header` as its JSON header and `data` after it. */
function raw(header: unknown, data = new Uint8Array(0), length?: bigint): Uint8Array {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const entry = (dtype: string, shape: unknown, offsets: unknown) => ({
  t: { dtype, shape, data_offsets: offsets },
});

const CASES: Record<string, Uint8Array> = {
  good: encodeSafetensors(
    new Map([
      ["w", { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-7, -0]) }],
      ["n", { dtype: "I32", shape: [3], data: Int32Array.from([7, -1, 2147483647]) }],
      ["e", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
    ]),
    { mmc: '{"step": 3}' },
  ),
  empty: new Uint8Array(0),
  short: new Uint8Array(5),
  "header past the end": raw({}, new Uint8Array(0), 1_000_000n),
  "header length huge": raw({}, new Uint8Array(0), 2n ** 63n),
  "not JSON": raw("{nope"),
  "not UTF-8": raw("\u0000").map((b, i) => (i === 8 ? 0xff : b)),
  "not an object": raw("[1, 2]"),
  "deep nesting": raw("[".repeat(100_000) + "]".repeat(100_000)),
  "unknown dtype": raw(entry("F64", [1], [0, 8]), new Uint8Array(8)),
  "shape not a list": raw(entry("F32", 4, [0, 16]), new Uint8Array(16)),
  "negative dimension": raw(entry("F32", [-1, 4], [0, 16]), new Uint8Array(16)),
  "offsets past the end": raw(entry("F32", [4], [0, 16]), new Uint8Array(8)),
  "offsets reversed": raw(entry("F32", [0], [8, 0]), new Uint8Array(8)),
  "size does not match the shape": raw(entry("F32", [3], [0, 16]), new Uint8Array(16)),
  "shape too large": raw(entry("F32", [2 ** 40, 2 ** 40], [0, 16]), new Uint8Array(16)),
  "entry not an object": raw({ t: 3 }),
};

let read: Record<
  string,
  { error?: string; message?: string; tensors?: unknown; metadata?: unknown }
>;
const files: Record<string, string> = {};

describe.skipIf(python === undefined)("read_safetensors in model.py", () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmc-st-"));
    const r = checkSpec("examples/tiny.mm");
    writeFiles(dir, await generatePytorch(r.checked!, r.sources, "examples/tiny.mm", dir));
    for (const [name, bytes] of Object.entries(CASES)) {
      files[name] = join(dir, `${name.replace(/ /g, "-")}.safetensors`);
      writeFileSync(files[name], bytes);
    }
    const out = join(dir, "read.json");
    runPython(python!, [
      join(import.meta.dirname, "read_safetensors.py"),
      join(dir, "model.py"),
      out,
      ...Object.values(files),
    ]);
    read = JSON.parse(readFileSync(out, "utf8")) as typeof read;
  }, 600_000);

  test("reads what the runtime writes, exactly", () => {
    expect(read[files["good"]!]).toEqual({
      tensors: {
        w: {
          dtype: "torch.float32",
          shape: [2, 3],
          values: [1, -2, 3.5, 0, Math.fround(1e-7), -0],
        },
        n: { dtype: "torch.int32", shape: [3], values: [7, -1, 2147483647] },
        e: { dtype: "torch.float32", shape: [0, 4], values: [] },
      },
      metadata: { mmc: '{"step": 3}' },
    });
  });

  test.each(Object.keys(CASES).filter((k) => k !== "good"))("%s: a SafetensorsError", (name) => {
    const r = read[files[name]!]!;
    expect(r.error, JSON.stringify(r)).toBe("SafetensorsError");
    expect(r.message).toContain(files[name]!);
  });
});
