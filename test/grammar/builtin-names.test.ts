// The component kinds and built-in types the grammar colours are the ones the compiler defines,
// so a kind added in src/components/ fails here until the grammar learns its name.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMPONENT_KINDS } from "../../src/components/registry.js";
import { BUILTIN_CALLEES } from "../../src/resolve/builtins.js";
import { GRAMMAR_PATH, hasScope, tokenize } from "./tm-engine.js";

interface Rule {
  match?: string;
  name?: string;
}
const grammar = JSON.parse(readFileSync(GRAMMAR_PATH, "utf8")) as {
  repository: Record<string, { patterns?: Rule[] }>;
};

/** The names in the `(?:A|B|C)` alternation of the `kinds` rule with this scope. */
function namesScoped(scope: string): string[] {
  const rule = grammar.repository["kinds"]?.patterns?.find((r) => r.name === scope);
  const group = /\(\?:([A-Za-z0-9_|]+)\)/.exec(rule?.match ?? "")?.[1] ?? "";
  return group.split("|").filter(Boolean).sort();
}

const capitalisedCallees = [...BUILTIN_CALLEES].filter((n) => /^[A-Z]/.test(n));
const functionCallees = [...BUILTIN_CALLEES].filter((n) => /^[a-z]/.test(n));

describe("built-in names", () => {
  it("colours exactly the compiler's component kinds as components", () => {
    expect(namesScoped("support.class.component.mm")).toEqual(Object.keys(COMPONENT_KINDS).sort());
  });

  it("colours exactly the compiler's capitalised built-ins as built-in types", () => {
    expect(namesScoped("support.class.builtin.mm")).toEqual(capitalisedCallees.sort());
  });

  it.each(Object.keys(COMPONENT_KINDS))(
    "`%s` is a component as a value and as a preset's base",
    async (kind) => {
      const [value = [], preset = []] = await tokenize(
        `x: ${kind} { a: 1 }\nencoder P = ${kind} { a: 1 }`,
      );
      expect(value.find((t) => t.text === kind)?.scopes).toContain("support.class.component.mm");
      expect(preset.find((t) => t.text === kind)?.scopes).toContain("support.class.component.mm");
    },
  );

  it.each(functionCallees)("`%s(...)` is a function", async (name) => {
    const [tokens = []] = await tokenize(`x: ${name}("a", b: 1)`);
    expect(hasScope(tokens.find((t) => t.text === name)?.scopes ?? [], "support.function")).toBe(
      true,
    );
  });

  it("leaves a user preset named like a kind, but longer, as a plain type", async () => {
    const [tokens = []] = await tokenize("vision: ViT_L14 { depth: 12 }");
    expect(tokens.find((t) => t.text === "ViT_L14")?.scopes).toContain("entity.name.type.mm");
  });
});
