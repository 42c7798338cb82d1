// The checker's side of `fit` in a data block: `pad` reaches the checked data (`crop` as
// absence), variants inherit it or change it, other values are refused (MM2009), and a train may
// not pair `fit: pad` with a tiled model (MM5021, at the `fit` field).
import { describe, expect, test } from "vitest";
import { fileHost } from "../../src/cli/host.js";
import { checkFile } from "../../src/pipeline.js";
import type { ModuleHost } from "../../src/resolve/program.js";

function check(text: string) {
  const host: ModuleHost = {
    read: (path) => (path === "spec.mm" ? { ok: true, text } : fileHost.read(path)),
    stdlibFile: fileHost.stdlibFile,
  };
  const r = checkFile("spec.mm", host);
  return {
    data: r.checked?.data ?? [],
    diagnostics: r.diagnostics,
    codes: r.diagnostics.map((d) => d.code),
  };
}

const block = (name: string, extra: string) =>
  `data ${name} {\n  caption: 100% jsonl("c.jsonl")\n${extra}\n}\n`;

const IMPORTS = [
  'import { ViT } from "std/encoders"',
  'import { AvgPool } from "std/connectors"',
  'import { Decoder } from "std/llm"',
].join("\n");

const model = (tiles: boolean) => `${IMPORTS}
model M {
  image: Image[3, 32, 32]
  ${tiles ? 'tiles: { grids: ["1x1", "2x1"], overview: true }' : ""}
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 2, heads: 2, context: 128 }
}
train t {
  model: M
  data: D
  steps: 10, batch: 2, sequence: 64
}
`;

describe("`fit` in a data block", () => {
  test("`pad` is read; `crop` is the same as leaving it out", () => {
    const pad = check(block("D", "  fit: pad"));
    expect(pad.codes).toEqual([]);
    expect(pad.data[0]?.fit).toBe("pad");
    const crop = check(block("D", "  fit: crop"));
    expect(crop.codes).toEqual([]);
    expect(crop.data[0]).not.toHaveProperty("fit");
    expect(check(block("D", "")).data[0]).not.toHaveProperty("fit");
  });

  test("a variant inherits it and may change it", () => {
    const r = check(block("A", "  fit: pad") + "data B = A { }\ndata C = A { fit: crop }\n");
    expect(r.codes).toEqual([]);
    expect(r.data.map((d) => [d.name, d.fit])).toEqual([
      ["A", "pad"],
      ["B", "pad"],
      ["C", undefined],
    ]);
  });

  test("anything else is MM2009 at the value, with the word meant", () => {
    const quoted = check(block("D", '  fit: "pad"'));
    expect(quoted.codes).toEqual(["MM2009"]);
    expect(quoted.diagnostics[0]?.help).toBe("write `fit: pad` (a name, without quotes)");
    const text = block("D", "  fit: 1");
    const number = check(text);
    expect(number.codes).toEqual(["MM2009"]);
    expect(number.diagnostics[0]?.message).toBe(
      "`fit` must be `crop` or `pad`, not the number `1`",
    );
    const at = number.diagnostics[0]?.labels[0]?.span;
    expect(text.slice(at?.start, at?.end)).toBe("1");
    // A misspelt word is an unknown name, with the word meant.
    const typo = check(block("D", "  fit: pda"));
    expect(typo.codes).toEqual(["MM2001"]);
    expect(typo.diagnostics[0]?.help).toBe("did you mean `pad`?");
  });

  test("`fit: pad` with a tiled model is MM5021 at `fit`; without tiles it trains", () => {
    const tiled = check(model(true) + block("D", "  fit: pad"));
    expect(tiled.codes).toEqual(["MM5021"]);
    const d = tiled.diagnostics[0]!;
    expect(d.message).toBe(
      "`data D` pads images to a square (`fit: pad`), but `model M` tiles them",
    );
    const text = model(true) + block("D", "  fit: pad");
    const [primary, secondary] = d.labels;
    expect(text.slice(primary?.span.start, primary?.span.end)).toBe("pad");
    expect(text.slice(secondary?.span.start, secondary?.span.end)).toMatch(/^\{ grids/);
    expect(secondary?.message).toBe("the model's `tiles`");
    expect(check(model(true) + block("D", "  fit: crop")).codes).toEqual([]);
    const plain = check(model(false) + block("D", "  fit: pad"));
    expect(plain.codes).toEqual([]);
  });
});
