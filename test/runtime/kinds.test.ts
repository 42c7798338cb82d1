// The runtime registry against the components' registry (the key sets are checked by the
// compiler in src/runtime/kinds.ts; the roles here), and the layers' weight names: they come from
// components/weight-names.ts, so no layer reads a weight through a string literal of its own.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import { RUNTIME_KINDS, runtimeKind } from "../../src/runtime/kinds.js";

describe("runtime registry", () => {
  it("has every component kind, with the same role", () => {
    expect(Object.keys(RUNTIME_KINDS).sort()).toEqual(Object.keys(COMPONENT_KINDS).sort());
    for (const [name, kind] of Object.entries(COMPONENT_KINDS))
      expect(runtimeKind(name)?.role, name).toBe(kind.role);
  });

  it("knows no other name", () => {
    expect(runtimeKind("toString")).toBeUndefined();
    expect(runtimeKind("Vit")).toBeUndefined();
  });
});

describe("runtime layers", () => {
  const dir = "src/runtime/layers";
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

  it.each(files)("%s reads weights only by names from weight-names.ts", (file) => {
    const text = readFileSync(join(dir, file), "utf8");
    // `.get("...")`, `.scope("...")` or a template literal in either: a tensor name spelled here.
    expect(text).not.toMatch(/\.(get|scope)\(\s*["'`]/);
    // Which weights exist follows from the config, never from probing the store (`p.has`).
    expect(text).not.toMatch(/\b(p|s|layer|embed)\.has\(/);
  });
});
