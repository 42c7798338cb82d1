// The server's pure pieces on their own: URI <-> resolver paths, the formatting edit, and the
// scanner that reads the cursor's context from broken text.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatSource } from "../../src/format/format.js";
import { cursorContext } from "../../src/lsp/cursor-context.js";
import { formatEdit } from "../../src/lsp/format-edit.js";
import { PathMap } from "../../src/lsp/paths.js";
import { ROOT } from "./client.js";

describe("paths", () => {
  const map = new PathMap("/opt/mmc/stdlib", "linux");
  map.setRoot("/home/me/specs/");

  it("names workspace files relative to the folder, stdlib files `<std>/...`, others absolutely", () => {
    expect(map.pathOf("file:///home/me/specs/a/b.mm")).toBe("a/b.mm");
    expect(map.pathOf("file:///opt/mmc/stdlib/mm1.mm")).toBe("<std>/mm1.mm");
    expect(map.pathOf("file:///tmp/x%20y.mm")).toBe("/tmp/x y.mm");
    expect(map.pathOf("untitled:Untitled-1")).toBeUndefined();
    expect(map.pathOf(42)).toBeUndefined();
  });

  it("maps them back to the same URIs", () => {
    for (const uri of [
      "file:///home/me/specs/a/b.mm",
      "file:///opt/mmc/stdlib/mm1.mm",
      "file:///tmp/x%20y.mm",
    ])
      expect(map.uriOf(map.pathOf(uri)!)).toBe(uri);
    expect(map.fileOf("a/b.mm")).toBe("/home/me/specs/a/b.mm");
  });
});

describe("the formatting edit", () => {
  const specs = ["examples", "stdlib"].flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((f) => f.endsWith(".mm"))
      .map((f) => readFileSync(join(ROOT, d, f), "utf8")),
  );

  it("turns any untidy spacing into exactly `mmc fmt`'s text", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...specs),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "  ", "\n", "\t")), { maxLength: 6 }),
        (spec, inserts) => {
          // Spaces go only next to existing spaces, which never changes what the file means.
          let text = spec;
          for (const [at, ws] of inserts) {
            const spaces = [...text.matchAll(/ /g)].map((m) => m.index);
            const i = spaces[at % Math.max(1, spaces.length)];
            if (i !== undefined) text = text.slice(0, i) + ws + text.slice(i);
          }
          const formatted = formatSource(text, "x.mm");
          if (!formatted.ok) return;
          const r = formatEdit(text, "x.mm");
          if (!r.ok) throw new Error(r.reason);
          const result = r.edit
            ? text.slice(0, r.edit.start) + r.edit.text + text.slice(r.edit.end)
            : text;
          expect(result).toBe(formatted.text);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the cursor's context", () => {
  const at = (text: string) => cursorContext(text.replace("|", ""), text.indexOf("|"));

  it("is a key in a body, with the keys written before and after the cursor", () => {
    const c = at("llm L = Decoder {\n  width: 64\n  wi|\n  heads: 2\n}\n");
    expect(c).toMatchObject({ t: "key", prefix: "wi" });
    if (c.t !== "key") throw new Error();
    expect([...c.stack[0]!.keys].sort()).toEqual(["heads", "width"]);
    expect(c.stack[0]!.head).toEqual(["llm", "L", "=", "Decoder"]);
  });

  it("is a value after `key:`, also in a nested body and a list", () => {
    expect(at("model M { llm: Decoder { norm: r| } }")).toMatchObject({
      t: "value",
      key: "norm",
      prefix: "r",
    });
    expect(at("sweep s { vary model.connector: [Avg|] }")).toMatchObject({
      t: "value",
      key: "model.connector",
    });
  });

  it("is nothing inside a string or a comment, and the top level outside every body", () => {
    expect(at('data D { text: jsonl("a|.jsonl") }')).toEqual({ t: "none" });
    expect(at("model M { // a com|ment\n}")).toEqual({ t: "none" });
    expect(at("model M { /* x| */ }")).toEqual({ t: "none" });
    expect(at("model M {}\nmo|")).toMatchObject({ t: "top", words: [], prefix: "mo" });
    expect(at("model B = |")).toMatchObject({ t: "top", words: ["model", "B", "="] });
  });
});
