// Printing many diagnostics: the rich and short formats show at most 50 (errors before warnings)
// and count the rest; JSON keeps them all, in JSON.stringify's layout, with nothing raw in it.
import { describe, expect, test } from "vitest";
import { printDiagnostics, type Io } from "../../src/cli/output.js";
import { diagnostic, type Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { MAX_PRINTED, limitDiagnostics, toJson } from "../../src/diagnostics/render.js";
import { SourceFile } from "../../src/source/source-file.js";

function capture(): Io & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    colorStderr: false,
    colorStdout: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

const src = new SourceFile("f.mm", "x\n".repeat(500));
const sources = new Map([["f.mm", src]]);

function at(line: number, severity: "error" | "warning", message = "bad"): Diagnostic {
  const o = src.lineStarts[line - 1]!;
  return diagnostic({ code: "MM1001", message, span: src.span(o, o + 1), severity });
}

describe("printing many diagnostics", () => {
  test("the rich format shows 50 and counts the rest, and the summary counts all", () => {
    const ds = Array.from({ length: 120 }, (_, i) => at(i + 1, "error"));
    const io = capture();
    printDiagnostics(io, ds, sources, "rich");
    expect(io.err.match(/^error\[MM1001\]/gm)).toHaveLength(MAX_PRINTED);
    expect(io.err).toContain("... and 70 more errors not shown (all of them with `--format json`)");
    expect(io.err.trimEnd().endsWith("120 errors")).toBe(true);
  });

  test("the short format is capped the same way", () => {
    const ds = Array.from({ length: 51 }, (_, i) => at(i + 1, "error"));
    const io = capture();
    printDiagnostics(io, ds, sources, "short");
    expect(io.err.split("\n").filter((l) => l.includes("error[MM1001]"))).toHaveLength(50);
    expect(io.err).toContain("... and 1 more error not shown");
  });

  test("a flood of warnings never hides an error", () => {
    const ds = [...Array.from({ length: 80 }, (_, i) => at(i + 1, "warning")), at(300, "error")];
    const l = limitDiagnostics(ds);
    expect(l.shown).toHaveLength(MAX_PRINTED);
    expect(l.shown.filter((d) => d.severity === "error")).toHaveLength(1);
    expect(l.hiddenErrors).toBe(0);
    expect(l.hiddenWarnings).toBe(31);
    // Order is kept: the error, last in the file, is printed last.
    expect(l.shown[l.shown.length - 1]!.severity).toBe("error");
  });

  test("JSON keeps every diagnostic, laid out as JSON.stringify does, with overrides escaped", () => {
    const ds = Array.from({ length: 300 }, (_, i) =>
      at(i + 1, "error", `m\u202e\u0085\x1b ${"z".repeat(400)}`),
    );
    const io = capture();
    printDiagnostics(io, ds, sources, "json");
    const lookup = (f: string) => sources.get(f);
    const all = ds.map((d) => toJson(d, lookup));
    expect(JSON.parse(io.out)).toEqual(all);
    expect(io.out).not.toMatch(/[\u202e\u0085\x1b]/);
    const plain = JSON.stringify(all, null, 2) + "\n";
    expect(io.out).toBe(plain.replace(/\u202e/g, "\\u202e").replace(/\u0085/g, "\\u0085"));
  });

  test("JSON of no diagnostics is an empty array", () => {
    const io = capture();
    printDiagnostics(io, [], sources, "json");
    expect(io.out).toBe("[]\n");
  });
});
