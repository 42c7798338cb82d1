// Completion: declaration keywords at the top level; the fields of the body the cursor is in
// (only those not written yet, with their docs); at a value, the words the field accepts, the
// declared names and kinds that fit it; inside `import { }`, what the module exports.
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from "vscode-languageserver";
import { COMPONENT_KINDS, componentKind } from "../components/registry.js";
import type { ComponentKind } from "../components/types.js";
import type { Module, Program, Sym } from "../resolve/program.js";
import { PRESET_KEYWORDS } from "../syntax/tokens.js";
import { cursorContext, type Opener } from "./cursor-context.js";
import { describeKind } from "./describe.js";
import { blockFields, componentFields, type FieldInfo } from "./schema.js";
import { kindOf, lookup } from "./semantics.js";

const TOP_KEYWORDS = ["import", "model", "data", "train", "sweep", ...PRESET_KEYWORDS];
const ROLE_OF_PART: Readonly<Record<string, ComponentKind["role"]>> = {
  vision: "encoder",
  connector: "connector",
  llm: "llm",
  encoder: "encoder",
  moe: "moe",
};

export interface CompletionEnv {
  /** Names a standard-library or relative module exports (for `import { | } from "..."`). */
  exportsOf(module: Module, spec: string): readonly Sym[];
}

export function completeAt(
  program: Program | undefined,
  module: Module | undefined,
  text: string,
  offset: number,
  env: CompletionEnv,
): CompletionItem[] {
  const ctx = cursorContext(text, offset);
  if (ctx.t === "none") return [];
  if (ctx.t === "top") {
    const [first, , eq] = ctx.words;
    if (ctx.words.length === 0) return TOP_KEYWORDS.map(keyword);
    if (eq === "=" && program && module) {
      if (first === "model" || first === "data" || first === "train")
        return names(module, (s) => s.kind === first);
      const role = first ? ROLE_OF_PART[first] : undefined;
      if (role) return componentsOfRole(program, module, role);
    }
    return [];
  }
  const open = ctx.stack[ctx.stack.length - 1]!;
  if (open.head[0] === "import") return importItems(module, text, offset, env);
  if (!program || !module) return [];
  if (ctx.t === "key") return keyItems(program, module, open);
  return valueItems(program, module, ctx.stack, ctx.key);
}

function keyword(k: string): CompletionItem {
  return { label: k, kind: CompletionItemKind.Keyword };
}

function fieldItem(f: FieldInfo): CompletionItem {
  const doc = [
    f.doc,
    "",
    f.type ? `type: ${f.type}` : "",
    f.default ? `default: ${f.default}` : "",
    f.range ? `range: ${f.range}` : "",
  ]
    .filter((x, i) => i < 2 || x)
    .join("\n");
  return {
    label: f.name,
    kind: CompletionItemKind.Field,
    detail: f.type,
    documentation: { kind: "markdown", value: doc.trim() },
    insertText: `${f.name}: `,
  };
}

/** What kind of body an opener is, from the words in front of it. */
type BodyKind =
  | { t: "decl"; keyword: string }
  | { t: "component"; callee: string }
  | { t: "record"; key: string }
  | { t: "budget" }
  | { t: "unknown" };

function bodyKind(o: Opener): BodyKind {
  const h = o.head;
  const last = h[h.length - 1];
  if (last === "budget") return { t: "budget" };
  if (last === ":") return { t: "record", key: h[h.length - 2] ?? "" };
  if (h.length >= 2 && ["model", "data", "train", "sweep"].includes(h[h.length - 2]!))
    return { t: "decl", keyword: h[h.length - 2]! };
  if (
    h.length >= 4 &&
    h[h.length - 2] === "=" &&
    ["model", "data", "train", "sweep"].includes(h[h.length - 4]!)
  )
    return { t: "decl", keyword: h[h.length - 4]! };
  if (last && /^[A-Za-z_]\w*$/.test(last)) return { t: "component", callee: last };
  return { t: "unknown" };
}

function keyItems(program: Program, module: Module, open: Opener): CompletionItem[] {
  const b = bodyKind(open);
  const fresh = (fs: readonly FieldInfo[]) =>
    fs.filter((f) => !open.keys.has(f.name)).map(fieldItem);
  switch (b.t) {
    case "budget":
      return blockFields("budget").map((f) => ({ ...fieldItem(f), insertText: `${f.name} <= ` }));
    case "record":
      return b.key === "checkpoint" || b.key === "eval" ? fresh(blockFields(b.key)) : [];
    case "decl":
      if (b.keyword === "model") return [...fresh(blockFields("model")), keyword("budget")];
      if (b.keyword === "train") return fresh(blockFields("train"));
      if (b.keyword === "data") return fresh(blockFields("data"));
      if (b.keyword === "sweep") return [...fresh(blockFields("sweep")), keyword("vary")];
      return [];
    case "component": {
      if (b.callee === "AdamW") return fresh(blockFields("optimizer"));
      if (b.callee === "Cosine" || b.callee === "Linear" || b.callee === "Constant")
        return fresh(blockFields("schedule", b.callee));
      const sym = lookup(module, b.callee);
      if (sym?.kind === "model") return fresh(blockFields("model"));
      if (sym?.kind === "train") return fresh(blockFields("train"));
      const kind = kindOf(program, module, b.callee);
      return kind ? fresh(componentFields(kind)) : [];
    }
    default:
      return [];
  }
}

function valueItems(
  program: Program,
  module: Module,
  stack: readonly Opener[],
  key: string,
): CompletionItem[] {
  const open = stack[stack.length - 1]!;
  const leaf = key.split(".").pop() ?? key;
  // In a list or call, the value belongs to the body the list is in.
  const body = open.bracket === "{" ? open : [...stack].reverse().find((o) => o.bracket === "{");
  const b = body ? bodyKind(body) : { t: "unknown" as const };
  if (b.t === "component") {
    const kind = b.callee === "AdamW" ? undefined : kindOf(program, module, b.callee);
    const info = kind ? componentFields(kind).find((f) => f.name === leaf) : undefined;
    if (info?.component)
      return componentsOfRole(program, module, componentKind(info.component)?.role ?? "moe");
    if (info?.words)
      return info.words.map((w) => ({
        label: w,
        kind: CompletionItemKind.EnumMember,
        detail: `a value of \`${kind!.name}.${leaf}\``,
      }));
    const sym = lookup(module, b.callee);
    if (sym?.kind === "model" && ROLE_OF_PART[key.split(".")[0] ?? ""])
      return componentsOfRole(program, module, ROLE_OF_PART[key.split(".")[0]!]!);
    return [];
  }
  if (b.t === "decl") {
    if (b.keyword === "model" || (b.keyword === "sweep" && key.startsWith("model."))) {
      const part = b.keyword === "sweep" ? key.slice("model.".length) : key;
      const role = ROLE_OF_PART[part.split(".")[0] ?? ""];
      if (part === "image")
        return [
          {
            label: "Image[3, 224, 224]",
            kind: CompletionItemKind.Snippet,
            insertText: "Image[${1:3}, ${2:224}, ${3:224}]",
            insertTextFormat: InsertTextFormat.Snippet,
          },
        ];
      return role && !part.includes(".") ? componentsOfRole(program, module, role) : [];
    }
    if (b.keyword === "train" || (b.keyword === "sweep" && key !== "base")) {
      if (key === "model") return names(module, (s) => s.kind === "model");
      if (key === "data") return names(module, (s) => s.kind === "data");
      if (key === "optimizer")
        return [
          {
            label: "AdamW",
            kind: CompletionItemKind.Class,
            insertText: "AdamW { lr: ${1:3e-4} }",
            insertTextFormat: InsertTextFormat.Snippet,
          },
        ];
      if (key === "schedule")
        return ["Cosine", "Linear", "Constant"].map((k) => ({
          label: k,
          kind: CompletionItemKind.Class,
        }));
      const info = blockFields("train").find((f) => f.name === key);
      return (info?.words ?? []).map((w) => ({ label: w, kind: CompletionItemKind.EnumMember }));
    }
    if (b.keyword === "sweep" && key === "base") return names(module, (s) => s.kind === "train");
    if (b.keyword === "data") {
      const info = blockFields("data").find((f) => f.name === key);
      if (info)
        return (info.words ?? []).map((w) => ({ label: w, kind: CompletionItemKind.EnumMember }));
      return ["webdataset", "jsonl", "textfiles", "conversations"].map((f) => ({
        label: f,
        kind: CompletionItemKind.Function,
        insertText: `${f}("$1")`,
        insertTextFormat: InsertTextFormat.Snippet,
      }));
    }
  }
  return [];
}

function names(module: Module, keep: (s: Sym) => boolean): CompletionItem[] {
  return [...module.scope.values()].filter(keep).map((s) => ({
    label: s.name,
    kind:
      s.kind === "model"
        ? CompletionItemKind.Class
        : s.kind === "train"
          ? CompletionItemKind.Function
          : CompletionItemKind.Module,
    detail: `${s.kind} from ${s.module}`,
    ...(s.decl && s.decl.kind !== "import" && s.decl.doc
      ? { documentation: { kind: "markdown" as const, value: s.decl.doc } }
      : {}),
  }));
}

/** Kinds and presets of a role that are in scope. */
function componentsOfRole(
  program: Program,
  module: Module,
  role: ComponentKind["role"],
): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const s of module.scope.values()) {
    if (s.kind !== "kind" && s.kind !== "preset") continue;
    const kind = kindOf(program, module, s.name);
    if (kind?.role !== role) continue;
    const doc =
      s.kind === "kind"
        ? describeKind(kind, s.module)
        : s.decl && s.decl.kind !== "import"
          ? (s.decl.doc ?? "")
          : "";
    out.push({
      label: s.name,
      kind: s.kind === "kind" ? CompletionItemKind.Class : CompletionItemKind.Constant,
      detail: s.kind === "kind" ? `component kind (${role})` : `${role} preset = ${kind.name}`,
      documentation: { kind: "markdown", value: doc },
    });
  }
  return out;
}

function importItems(
  module: Module | undefined,
  text: string,
  offset: number,
  env: CompletionEnv,
): CompletionItem[] {
  const lineEnd = text.indexOf("\n", offset);
  const rest = text.slice(offset, lineEnd === -1 ? undefined : lineEnd);
  const spec = /from\s+"([^"]*)"/.exec(rest)?.[1];
  if (!spec || !module) {
    return Object.keys(COMPONENT_KINDS).map((k) => ({ label: k, kind: CompletionItemKind.Class }));
  }
  return env
    .exportsOf(module, spec)
    .filter((s) => !module.scope.has(s.name))
    .map((s) => ({
      label: s.name,
      kind: s.kind === "kind" ? CompletionItemKind.Class : CompletionItemKind.Constant,
      detail: `${s.kind} from ${spec}`,
    }));
}
