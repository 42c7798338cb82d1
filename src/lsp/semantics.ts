// What names and field paths mean in a resolved program: the symbol a name refers to, the
// component kind behind a preset, the kind of a model's part, and the field schema that a field
// path in a body stands for. Read from the resolved program and the AST alone, so it also works
// while the checker reports errors.
import { posix } from "node:path";
import { componentKind } from "../components/registry.js";
import type { ComponentKind } from "../components/types.js";
import type { Module, Program, Sym } from "../resolve/program.js";
import { pathText, type ModelDecl, type Name, type Value } from "../syntax/ast.js";
import { blockFields, componentFields, type Block, type FieldInfo } from "./schema.js";
import type { Frame } from "./walk.js";

const MAX_DEPTH = 32;

export function symKey(sym: Sym): string {
  return `${sym.module}::${sym.name}`;
}

/** The module that declares a symbol (built-in kinds have none). */
export function homeOf(program: Program, sym: Sym): Module | undefined {
  if (sym.kind === "kind" || sym.kind === "unresolved") return undefined;
  for (const m of program.modules.values()) if (m.name === sym.module) return m;
  return undefined;
}

export function lookup(module: Module, name: Name | string): Sym | undefined {
  const sym = module.scope.get(typeof name === "string" ? name : name.text);
  return sym?.kind === "unresolved" ? undefined : sym;
}

/** The component kind a kind name or preset stands for (`TinyLM` -> Decoder). */
export function kindOf(
  program: Program,
  module: Module,
  name: Name | string,
  depth = 0,
): ComponentKind | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const sym = lookup(module, name);
  if (!sym) return undefined;
  if (sym.kind === "kind") return componentKind(sym.name);
  if (sym.kind !== "preset" || sym.decl?.kind !== "preset") return undefined;
  const home = homeOf(program, sym);
  return home ? kindOfValue(program, home, sym.decl.value, depth + 1) : undefined;
}

export function kindOfValue(
  program: Program,
  module: Module,
  v: Value,
  depth = 0,
): ComponentKind | undefined {
  if (v.kind === "component") return kindOf(program, module, v.callee, depth);
  if (v.kind === "name") return kindOf(program, module, v.name, depth);
  return undefined;
}

/** The kind of a model's part (`vision`, `connector`, `llm`), following variants to their base. */
export function partKind(
  program: Program,
  module: Module,
  decl: ModelDecl,
  part: string,
  depth = 0,
): ComponentKind | undefined {
  if (depth > MAX_DEPTH) return undefined;
  for (const m of decl.body.members) {
    if (m.kind === "field" && pathText(m.path) === part)
      return kindOfValue(program, module, m.value);
  }
  if (!decl.base) return undefined;
  const base = lookup(module, decl.base);
  const home = base && homeOf(program, base);
  return base?.decl?.kind === "model" && home
    ? partKind(program, home, base.decl, part, depth + 1)
    : undefined;
}

/** The fields a body offers, and the kind when it is a component's body. */
export interface BodySchema {
  readonly fields: readonly FieldInfo[];
  readonly kind?: ComponentKind;
  /** For a model body (or a train's model overrides): the model, to follow dotted part paths. */
  readonly model?: { readonly decl: ModelDecl; readonly module: Module };
  readonly block?: Block;
}

const SCHEDULES = new Set(["Cosine", "Linear", "Constant"]);

/** The schema of the innermost body in `frames`. */
export function bodySchema(
  program: Program,
  module: Module,
  frames: readonly Frame[],
): BodySchema | undefined {
  const here = frames[frames.length - 1];
  if (!here) return undefined;
  const o = here.owner;
  if (o.t === "decl") {
    switch (o.decl.kind) {
      case "model":
        return { fields: blockFields("model"), model: { decl: o.decl, module }, block: "model" };
      case "train":
        return { fields: blockFields("train"), block: "train" };
      case "data":
        return { fields: blockFields("data"), block: "data" };
      case "sweep":
        return { fields: blockFields("sweep"), block: "sweep" };
      default:
        return undefined;
    }
  }
  if (o.t === "record") {
    const key = here.path[here.path.length - 1];
    return key === "checkpoint" || key === "eval"
      ? { fields: blockFields(key), block: key }
      : undefined;
  }
  const callee = o.value.callee.text;
  if (callee === "AdamW") return { fields: blockFields("optimizer"), block: "optimizer" };
  if (SCHEDULES.has(callee)) return { fields: blockFields("schedule", callee), block: "schedule" };
  const sym = lookup(module, o.value.callee);
  if (sym?.kind === "model" && sym.decl?.kind === "model") {
    const home = homeOf(program, sym);
    return home
      ? { fields: blockFields("model"), model: { decl: sym.decl, module: home }, block: "model" }
      : undefined;
  }
  if (sym?.kind === "train") return { fields: blockFields("train"), block: "train" };
  const kind = kindOf(program, module, o.value.callee);
  return kind ? { fields: componentFields(kind), kind } : undefined;
}

/** The field a dotted path names in a body (`connector.tokens` in a model, `moe.top_k` in a Decoder). */
export function fieldAlong(
  program: Program,
  schema: BodySchema,
  path: readonly string[],
): { info: FieldInfo; kind?: ComponentKind } | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return undefined;
  let kind: ComponentKind | undefined;
  if (schema.model && head !== "image" && rest.length > 0) {
    kind = partKind(program, schema.model.module, schema.model.decl, head);
  } else {
    const info = schema.fields.find((f) => f.name === head);
    if (!info) return undefined;
    if (rest.length === 0) return { info, ...(schema.kind ? { kind: schema.kind } : {}) };
    kind = info.component ? componentKind(info.component) : undefined;
  }
  if (!kind) return undefined;
  return fieldAlong(program, { fields: componentFields(kind), kind }, rest);
}

/** The path the resolver loads for a relative import (as resolve/program.ts computes it). */
export function resolvedImport(module: Module, spec: string): string {
  const p = posix.normalize(posix.join(posix.dirname(module.path), spec));
  return p.endsWith(".mm") ? p : `${p}.mm`;
}
