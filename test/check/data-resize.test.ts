// The checker's side of `resize` in a data block: each mode reaches the checked data (`auto` as
// absence), variants inherit it or change it, and other values are refused.
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
  return { data: r.checked?.data ?? [], codes: r.diagnostics.map((d) => d.code) };
}

const block = (name: string, extra: string) =>
  `data ${name} {\n  caption: 100% jsonl("c.jsonl")\n${extra}\n}\n`;

describe("`resize` in a data block", () => {
  test("each mode is read; `auto` is the same as leaving it out", () => {
    for (const mode of ["area", "bilinear", "bicubic"]) {
      const r = check(block("D", `  resize: ${mode}`));
      expect(r.codes).toEqual([]);
      expect(r.data[0]?.resize).toBe(mode);
    }
    const auto = check(block("D", "  resize: auto"));
    expect(auto.codes).toEqual([]);
    expect(auto.data[0]).not.toHaveProperty("resize");
    expect(check(block("D", "")).data[0]).not.toHaveProperty("resize");
  });

  test("a variant inherits it and may change it", () => {
    const r = check(
      block("A", "  resize: bicubic") + "data B = A { }\ndata C = A { resize: area }\n",
    );
    expect(r.codes).toEqual([]);
    expect(r.data.map((d) => [d.name, d.resize])).toEqual([
      ["A", "bicubic"],
      ["B", "bicubic"],
      ["C", "area"],
    ]);
  });

  test("anything else is MM2009", () => {
    expect(check(block("D", '  resize: "bicubic"')).codes).toEqual(["MM2009"]);
    expect(check(block("D", "  resize: 224")).codes).toEqual(["MM2009"]);
  });
});
