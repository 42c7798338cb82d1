// Evaluating component values (`ViT { patch: 14 }`, a preset name, `Preset { overrides }`) into
// a kind plus its written fields, with the source span of every field for later diagnostics.
import { checkFieldValue, isConfig } from "../components/fields.js";
import { componentKind } from "../components/registry.js";
import type { ComponentKind, Config, ConfigValue, FieldSpec } from "../components/types.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Module, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import { pathText, type Body, type Field, type Name, type Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue, primitiveValue } from "./field-value.js";
import { readInit, type InitSource } from "./init.js";

export type Role = ComponentKind["role"];

export interface ComponentInstance {
  readonly kind: ComponentKind;
  /** Written fields (inherited from presets, then overridden), checked and normalised. */
  readonly config: Record<string, ConfigValue>;
  /** Dotted field path -> span of the value that set it last. */
  readonly origins: Map<string, Span>;
  /** The whole component value, for problems about the component as a whole. */
  readonly span: Span;
  /** The preset it was built from, if any (for messages and `mmc info`). */
  readonly preset?: string;
  /** `init: safetensors(...)`: pretrained weights for this component (init.ts). */
  init?: InitSource;
}

const ROLE_WORDS: Record<Role, string> = {
  encoder: "an image encoder",
  connector: "a vision-language connector",
  llm: "a language model",
  moe: "a mixture of experts",
};

export const ROLE_EXAMPLES: Record<Role, string> = {
  encoder: "ViT { patch: 14 }",
  connector: "CAbstractor { tokens: 144 }",
  llm: "Decoder { width: 2048 }",
  moe: "MoE { experts: 8 }",
};

export interface Want {
  readonly role: Role;
  /** How the slot is named in messages: "`vision`", "`llm.moe`", "preset `E`". */
  readonly slot: string;
}

/**
 * A deep copy of a config (plain numbers, strings, booleans, arrays and records): what
 * `structuredClone` gave, at a fraction of its cost, which was a tenth of a check.
 */
export function cloneConfig(c: Config): Record<string, ConfigValue> {
  const out: Record<string, ConfigValue> = {};
  for (const k of Object.keys(c)) out[k] = cloneValue(c[k] as ConfigValue);
  return out;
}

function cloneValue(v: ConfigValue): ConfigValue {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map((x: ConfigValue) => cloneValue(x));
  return cloneConfig(v as Config);
}

export function cloneInstance(i: ComponentInstance, span?: Span): ComponentInstance {
  return {
    kind: i.kind,
    config: cloneConfig(i.config),
    origins: new Map(i.origins),
    span: span ?? i.span,
    ...(i.preset ? { preset: i.preset } : {}),
    ...(i.init ? { init: i.init } : {}),
  };
}

/** Evaluates a value that must be a component of a given role; undefined after reporting. */
export function evalComponent(
  ctx: CheckContext,
  module: Module,
  v: Value,
  want: Want,
): ComponentInstance | undefined {
  if (v.kind === "error") return undefined;
  if (v.kind !== "component" && v.kind !== "name") {
    ctx.report({
      code: "MM2009",
      message: `${want.slot} must be ${ROLE_WORDS[want.role]}, not ${describeValue(v)}`,
      span: v.span,
      help: `write a component such as \`${ROLE_EXAMPLES[want.role]}\``,
    });
    return undefined;
  }
  const callee = v.kind === "component" ? v.callee : v.name;
  const base = baseInstance(ctx, module, callee, want, v.span);
  if (!base) return undefined;
  if (v.kind === "component") applyFields(ctx, module, base, v.body, "");
  return base;
}

/**
 * A preset's value, evaluated once per symbol in a check: a chain of presets built on each other
 * is walked once, not again for every use (a 20,000-long chain took minutes). `at` is the
 * reference, where a cycle is reported.
 */
function presetInstance(ctx: CheckContext, sym: Sym, at: Span): ComponentInstance | undefined {
  return ctx.once("preset", sym, () => {
    const decl = sym.decl;
    const home = ctx.moduleOf(sym);
    if (decl?.kind !== "preset" || !home) return undefined;
    const value = decl.value;
    const evaluated = ctx.guard(sym, at, () =>
      evalComponent(ctx, home, value, { role: decl.role, slot: `preset \`${decl.name.text}\`` }),
    );
    const callee =
      value.kind === "component" ? value.callee : value.kind === "name" ? value.name : undefined;
    const base = callee ? ctx.lookup(home, callee) : undefined;
    if (evaluated && !ctx.chain(sym, base?.kind === "preset" ? base : undefined, decl.name.span))
      return undefined;
    return evaluated;
  });
}

function baseInstance(
  ctx: CheckContext,
  module: Module,
  callee: Name,
  want: Want,
  span: Span,
): ComponentInstance | undefined {
  const sym = ctx.lookup(module, callee);
  if (!sym) return undefined; // unknown names are reported by the resolver
  let instance: ComponentInstance | undefined;
  if (sym.kind === "kind") {
    const kind = componentKind(sym.name);
    if (!kind) throw new Error(`internal: kind ${sym.name} is not registered`);
    instance = { kind, config: {}, origins: new Map(), span };
  } else if (sym.kind === "preset" && sym.decl?.kind === "preset") {
    const evaluated = presetInstance(ctx, sym, callee.span);
    if (!evaluated) return undefined;
    instance = { ...cloneInstance(evaluated, span), preset: sym.name };
  } else {
    ctx.report({
      code: "MM2012",
      message: `\`${callee.text}\` is a ${sym.kind}, but ${want.slot} needs ${ROLE_WORDS[want.role]}`,
      span: callee.span,
      help: `use a component such as \`${ROLE_EXAMPLES[want.role]}\` or a preset declared with \`${want.role} NAME = ...\``,
    });
    return undefined;
  }
  if (instance.kind.role !== want.role) {
    ctx.report({
      code: "MM2012",
      message: `${want.slot} needs ${ROLE_WORDS[want.role]}, but \`${callee.text}\` is ${ROLE_WORDS[instance.kind.role]}`,
      span: callee.span,
      label: `\`${instance.kind.name}\` is ${ROLE_WORDS[instance.kind.role]}`,
      help: `use a component such as \`${ROLE_EXAMPLES[want.role]}\``,
    });
    return undefined;
  }
  return instance;
}

/** Applies the fields of a `{ ... }` body to an instance; `prefix` is for messages (`llm.`). */
export function applyFields(
  ctx: CheckContext,
  module: Module,
  target: ComponentInstance,
  body: Body,
  prefix: string,
): void {
  const seen = new Map<string, Span>();
  for (const m of body.members) {
    if (m.kind !== "field") {
      ctx.report({
        code: "MM2007",
        message: `a \`${m.kind}\` block cannot appear inside \`${target.kind.name}\``,
        span: m.span,
        help:
          m.kind === "budget"
            ? "put `budget { ... }` directly inside the `model`"
            : "put `vary` inside a `sweep`",
      });
      continue;
    }
    const key = pathText(m.path);
    const first = seen.get(key);
    if (first) {
      ctx.report({
        code: "MM2008",
        message: `\`${prefix}${key}\` is given twice`,
        span: m.span,
        label: "given again here",
        secondary: [{ span: first, message: "first given here" }],
        help: "remove one of the two",
      });
      continue;
    }
    seen.set(key, m.span);
    setField(ctx, module, target, m.path, m, prefix);
  }
}

/** Sets one (possibly dotted) field on an instance, descending into nested components. */
export function setField(
  ctx: CheckContext,
  module: Module,
  target: ComponentInstance,
  path: readonly Name[],
  field: Pick<Field, "value" | "span">,
  prefix: string,
): void {
  const [head, ...rest] = path;
  if (!head) return;
  if (head.text === "init" && rest.length === 0) {
    const init = readInit(ctx, field.value, module.path);
    if (init) target.init = init;
    return;
  }
  const spec = target.kind.fields.find((f) => f.name === head.text);
  if (!spec) {
    unknownField(ctx, target.kind, head, prefix);
    return;
  }
  const fieldPath = `${prefix}${spec.name}`;
  if (spec.type.kind === "component") {
    const nestedKind = componentKind(spec.type.component);
    if (!nestedKind) throw new Error(`internal: unknown nested kind ${spec.type.component}`);
    let nested: ComponentInstance | undefined;
    if (rest.length === 0) {
      nested = evalComponent(ctx, module, field.value, {
        role: nestedKind.role,
        slot: `\`${fieldPath}\``,
      });
      if (!nested) return;
      for (const k of [...target.origins.keys()])
        if (k.startsWith(`${spec.name}.`)) target.origins.delete(k);
    } else {
      const existing = target.config[spec.name];
      nested = {
        kind: nestedKind,
        config: isConfig(existing) ? cloneConfig(existing) : {},
        origins: new Map(),
        span: field.span,
      };
      setField(ctx, module, nested, rest, field, `${fieldPath}.`);
    }
    if (nested.init) {
      ctx.report({
        code: "MM9012",
        message: `\`${fieldPath}\` cannot have its own \`init\`: weights load into a model's parts`,
        span: nested.init.span,
        notes: [
          `\`${fieldPath}\`'s weights are part of \`${target.kind.name}\`'s: they come with its \`init\``,
        ],
        help: `move \`init\` to the part that holds \`${fieldPath}\` (e.g. \`llm: ... { init: ... }\`)`,
      });
      delete nested.init;
    }
    target.config[spec.name] = nested.config;
    target.origins.set(spec.name, field.value.span);
    for (const [k, s] of nested.origins) target.origins.set(`${spec.name}.${k}`, s);
    return;
  }
  if (rest.length > 0) {
    ctx.report({
      code: "MM2007",
      message: `\`${fieldPath}\` has no fields; it is ${spec.type.kind === "mlp" ? "an MLP" : `a ${spec.type.kind}`}`,
      span: rest[0]!.span,
      help: `write \`${fieldPath}: ...\` to set it`,
    });
    return;
  }
  setPrimitive(ctx, target, spec, fieldPath, field.value);
}

function setPrimitive(
  ctx: CheckContext,
  target: ComponentInstance,
  spec: FieldSpec,
  fieldPath: string,
  v: Value,
): void {
  const raw = primitiveValue(ctx, spec, fieldPath, v);
  if (raw === undefined) return;
  const checked = checkFieldValue(spec, raw, fieldPath);
  if (checked.problem) {
    ctx.report({
      code: checked.problem.code,
      message: checked.problem.message,
      span: v.span,
      help: checked.problem.help ?? rangeHelp(spec, fieldPath),
      ...(checked.problem.notes ? { notes: [...checked.problem.notes] } : {}),
    });
    return;
  }
  target.config[spec.name] = checked.value;
  target.origins.set(spec.name, v.span);
}

/** A concrete edit for an out-of-range value: the field's default when it has one, else the limit. */
function rangeHelp(spec: FieldSpec, fieldPath: string): string {
  const name = fieldPath.split(".").pop() ?? fieldPath;
  const d = spec.default.kind === "value" ? spec.default.value : undefined;
  if (typeof d === "number") return `write a value in range, such as the default \`${name}: ${d}\``;
  const t = spec.type;
  if ((t.kind === "int" || t.kind === "number") && t.min !== undefined)
    return `write \`${name}: ${t.min}\` or more`;
  if (t.kind === "mlp")
    return `give a hidden width of at least 1, e.g. \`${name}: ${t.fns[0] ?? "gelu"}(3072)\``;
  return `change \`${fieldPath}\` to a value in range`;
}

function unknownField(ctx: CheckContext, kind: ComponentKind, name: Name, prefix: string): void {
  const names = kind.fields.map((f) => f.name);
  const hint = didYouMean(name.text, [...names, "init"]);
  // The path prefix (`llm.` in an override `llm.sliding_window`) says where, not what: a label.
  const at = prefix.replace(/\.$/, "");
  ctx.report({
    code: "MM2007",
    message: `\`${kind.name}\` has no field \`${name.text}\``,
    span: name.span,
    label: at === "" ? "unknown field" : `unknown field of \`${at}\``,
    notes: [`\`${kind.name}\` has the fields ${names.map((n) => `\`${n}\``).join(", ")}`],
    help: hint ?? `remove it, or see \`mmc info\` / docs/language.md for \`${kind.name}\``,
  });
}
