// The registry, the schemas and the problem-code table agree with each other and with the sources.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkFieldValue } from "../../src/components/fields.js";
import { PROBLEM_CODES } from "../../src/components/problem-codes.js";
import {
  COMPONENT_KINDS,
  ENUM_WORDS,
  STD_MODULES,
  componentKind,
  stdModuleOf,
} from "../../src/components/registry.js";

const SRC = join(import.meta.dirname, "..", "..", "src", "components");

describe("registry", () => {
  it("names every kind once, under the std module that provides it", () => {
    const provided = Object.values(STD_MODULES).flat().sort();
    expect(provided).toEqual(Object.keys(COMPONENT_KINDS).sort());
    expect(stdModuleOf("ViT")).toBe("std/encoders");
    expect(stdModuleOf("CAbstractor")).toBe("std/connectors");
    expect(stdModuleOf("MoE")).toBe("std/llm");
    expect(stdModuleOf("Nope")).toBeUndefined();
    expect(componentKind("toString")).toBeUndefined();
    for (const [name, kind] of Object.entries(COMPONENT_KINDS)) expect(kind.name).toBe(name);
  });

  it("collects the enum words the name resolver needs", () => {
    for (const w of [
      "rms",
      "layer",
      "rope",
      "learned",
      "none",
      "qkv",
      "all",
      "full",
      "head",
      "gelu",
      "swiglu",
    ]) {
      expect(ENUM_WORDS.has(w)).toBe(true);
    }
    expect(ENUM_WORDS.has("ViT")).toBe(false);
    expect(ENUM_WORDS.has("width")).toBe(false);
  });

  it("every field has a doc, a unique name, and a default its own type accepts", () => {
    for (const kind of Object.values(COMPONENT_KINDS)) {
      const names = kind.fields.map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
      expect(kind.doc.length).toBeGreaterThan(20);
      for (const f of kind.fields) {
        expect(f.doc.length, `${kind.name}.${f.name}`).toBeGreaterThan(5);
        expect(f.name).toMatch(/^[a-z][a-z_]*$/);
        if (f.default.kind === "value") {
          expect(
            checkFieldValue(f, f.default.value).problem,
            `${kind.name}.${f.name}`,
          ).toBeUndefined();
        }
        if (f.type.kind === "component") expect(componentKind(f.type.component)).toBeDefined();
      }
    }
  });

  it("every kind resolves with all defaults and has positive costs", () => {
    for (const kind of Object.values(COMPONENT_KINDS)) {
      const r = kind.resolve({}, {});
      expect(r.ok, kind.name).toBe(true);
      if (!r.ok) continue;
      expect(kind.manifest(r.config).length).toBeGreaterThan(0);
      expect(kind.flops(r.config)).toBeGreaterThan(0);
      expect(kind.activations(r.config)).toBeGreaterThan(0);
    }
  });
});

describe("problem codes in the sources", () => {
  it("every code a component file reports is in PROBLEM_CODES, and every listed code is used", () => {
    const used = new Set<string>();
    for (const file of readdirSync(SRC)) {
      if (!file.endsWith(".ts") || file === "problem-codes.ts") continue;
      for (const m of readFileSync(join(SRC, file), "utf8").matchAll(/"(MM\d{4})"/g)) {
        if (m[1]) used.add(m[1]);
      }
    }
    const listed = new Set(PROBLEM_CODES.map((c) => c.code));
    expect([...used].filter((c) => !listed.has(c))).toEqual([]);
    expect([...listed].filter((c) => !used.has(c))).toEqual([]);
  });
});
