// Hover: what the name, field or budget line under the cursor is, with the numbers the checker
// computed for it (see describe.ts for the text).
import { QUANTITIES, type Quantity } from "../check/budget.js";
import type { CheckedModel, CheckedTrain } from "../check/ir.js";
import type { PartSummary } from "../components/model.js";
import { componentKind, stdModuleOf } from "../components/registry.js";
import { isConfig } from "../components/fields.js";
import type { Module, Program, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import { pathText, type Bound, type ModelDecl } from "../syntax/ast.js";
import type { Analysis } from "./analysis.js";
import {
  describeBound,
  describeComponent,
  describeData,
  describeField,
  describeKind,
  describeModel,
  describePart,
  describeSource,
  describeTrain,
  quantityValue,
} from "./describe.js";
import { locate } from "./locate.js";
import type { RealisedRun } from "./realised.js";
import { blockFields } from "./schema.js";
import { bodySchema, fieldAlong, homeOf, lookup, resolvedImport } from "./semantics.js";
import { rootDecl, type Frame } from "./walk.js";

export interface HoverEnv {
  /** The analysis of a module checked as the entry file (for names declared in another file). */
  analysisOf(path: string): Analysis | undefined;
  /**
   * What the run of a train of the entry file `entry` logged about its sources (realised.ts);
   * absent or undefined when there is no run, or its log says nothing usable.
   */
  realised?(train: CheckedTrain, entry: string): RealisedRun | undefined;
}

/** Runs shown in a source's hover (the trains of the file that use its mixture). */
const MAX_RUNS_SHOWN = 3;

export interface HoverResult {
  readonly markdown: string;
  readonly span: Span;
}

export function hoverAt(a: Analysis, offset: number, env: HoverEnv): HoverResult | undefined {
  const program = a.program;
  const module = program?.modules.get(a.path);
  if (!program || !module) return undefined;
  const hit = locate(module.ast, offset);
  if (!hit) return undefined;
  switch (hit.t) {
    case "decl-name": {
      const sym = module.declared.get(hit.name.text);
      const md = sym && describeSym(a, program, sym, env);
      return md ? { markdown: md, span: hit.name.span } : undefined;
    }
    case "ref": {
      const sym = lookup(module, hit.name);
      if (!sym) return undefined;
      const part =
        hit.role === "callee" || hit.role === "value" ? partAt(a, hit.frames, hit.path) : undefined;
      const doc = sym.kind === "preset" && sym.decl?.kind === "preset" ? sym.decl.doc : undefined;
      const md = part
        ? describePart(
            part,
            `**${part.part}** of \`model ${modelNameOf(hit.frames)}\`: \`${hit.name.text}\`${doc ? `\n\n${doc}` : ""}`,
          )
        : describeSym(a, program, sym, env);
      return md ? { markdown: md, span: hit.name.span } : undefined;
    }
    case "field":
      return fieldHover(
        a,
        program,
        module,
        hit.frames,
        hit.path,
        hit.field.path.slice(0, hit.depth).map((n) => n.text),
        hit.field.value,
        hit.name.span,
        env,
      );
    case "bound": {
      const md = boundHover(a, hit.bound, hit.frames);
      return md ? { markdown: md, span: { ...hit.bound.span } } : undefined;
    }
    case "import-from": {
      const target = [...program.modules.values()].find(
        (m) =>
          m.name === hit.decl.from.value || m.path === resolvedImport(module, hit.decl.from.value),
      );
      const md = target
        ? `\`${hit.decl.from.value}\` is \`${target.path}\``
        : `\`${hit.decl.from.value}\``;
      return { markdown: md, span: hit.decl.from.span };
    }
  }
}

/** The analysis in which a symbol's declaration was checked as part of the entry file. */
function homeAnalysis(
  a: Analysis,
  program: Program,
  sym: Sym,
  env: HoverEnv,
): Analysis | undefined {
  const home = homeOf(program, sym);
  if (!home) return undefined;
  return home.path === a.path ? a : env.analysisOf(home.path);
}

function describeSym(a: Analysis, program: Program, sym: Sym, env: HoverEnv): string | undefined {
  if (sym.kind === "kind") {
    const kind = componentKind(sym.name);
    return kind ? describeKind(kind, stdModuleOf(sym.name)) : undefined;
  }
  const home = homeAnalysis(a, program, sym, env);
  const checked = home?.checked;
  const decl = sym.decl;
  const where =
    sym.module === a.path
      ? ""
      : `\n\n*declared in \`${homeOf(program, sym)?.path ?? sym.module}\`*`;
  if (!decl || decl.kind === "import") return undefined;
  const doc = decl.doc;
  switch (sym.kind) {
    case "preset": {
      const c = checked?.components.find((x) => x.name === sym.name);
      if (c) return describeComponent(c.name, c.role, c.doc, c.summary) + where;
      return `**${decl.kind === "preset" ? decl.role : "preset"} ${sym.name}**${doc ? `\n\n${doc}` : ""}\n\n(not computed: the file has errors)${where}`;
    }
    case "model": {
      const m = checked?.models.find((x) => x.name === sym.name);
      if (m && home?.program && decl.kind === "model") {
        const mod = homeOf(program, sym)!;
        return describeModel(m, budgetLines(home, home.program, mod, decl, m)) + where;
      }
      return `**model ${sym.name}**${doc ? `\n\n${doc}` : ""}\n\n(not computed: the file has errors)${where}`;
    }
    case "data": {
      const d = checked?.data.find((x) => x.name === sym.name);
      return (d ? describeData(d, doc) : `**data ${sym.name}**${doc ? `\n\n${doc}` : ""}`) + where;
    }
    case "train": {
      const t = checked?.trains.find((x) => x.name === sym.name);
      return (t ? describeTrain(t) : `**train ${sym.name}**${doc ? `\n\n${doc}` : ""}`) + where;
    }
    case "sweep": {
      const s = checked?.sweeps.find((x) => x.name === sym.name);
      const axes = s ? s.axes.map((x) => `- \`${x.path}\`: ${x.labels.join(", ")}`) : [];
      return (
        [
          `**sweep ${sym.name}**${s ? ` over \`${s.base}\`: ${s.points.length} grid points` : ""}`,
          ...(doc ? ["", doc] : []),
          ...(axes.length ? ["", ...axes] : []),
        ].join("\n") + where
      );
    }
    default:
      return undefined;
  }
}

function modelNameOf(frames: readonly Frame[]): string {
  return rootDecl(frames)?.name.text ?? "?";
}

/**
 * The checked part that a name stands for when it is a model's part (`connector: AvgPool { ... }`
 * or `llm: TinyLM`): the innermost body is the model's own.
 */
function partAt(
  a: Analysis,
  frames: readonly Frame[],
  path: readonly string[],
): PartSummary | undefined {
  const decl = rootDecl(frames);
  if (frames.length !== 1) return undefined;
  if (decl?.kind !== "model" || path.length !== 1) return undefined;
  const m = a.checked?.models.find((x) => x.name === decl.name.text);
  const part = path[0];
  return part === "vision" || part === "connector" || part === "llm"
    ? m?.summary.parts[part]
    : undefined;
}

/** A field's resolved value in the checked model or preset it belongs to, with where it came from. */
function resolvedField(
  a: Analysis,
  frames: readonly Frame[],
  path: readonly string[],
): { value: unknown; from?: string; where: string } | undefined {
  const decl = rootDecl(frames);
  if (!decl) return undefined;
  let config: unknown;
  let inferred: Readonly<Record<string, string>> = {};
  let rest: readonly string[];
  let where: string;
  if (decl.kind === "model") {
    const m = a.checked?.models.find((x) => x.name === decl.name.text);
    const [part, ...tail] = path;
    const p =
      part === "vision" || part === "connector" || part === "llm"
        ? m?.summary.parts[part]
        : undefined;
    if (!p) return undefined;
    config = p.config;
    inferred = p.inferred;
    rest = tail;
    where = `in \`model ${decl.name.text}\``;
  } else if (decl.kind === "preset") {
    const c = a.checked?.components.find((x) => x.name === decl.name.text);
    if (!c) return undefined;
    config = c.summary.config;
    inferred = c.summary.inferred;
    rest = path;
    where = `in \`${decl.name.text}\``;
  } else return undefined;
  for (const seg of rest)
    config = isConfig(config as never) ? (config as Record<string, unknown>)[seg] : undefined;
  const from = inferred[rest.join(".")];
  return { value: config, ...(from ? { from: from.replace(/`/g, "") } : {}), where };
}

function fieldHover(
  a: Analysis,
  program: Program,
  module: Module,
  frames: readonly Frame[],
  fullPath: readonly string[],
  rel: readonly string[],
  value: import("../syntax/ast.js").Value,
  span: Span,
  env: HoverEnv,
): HoverResult | undefined {
  const decl = rootDecl(frames);
  // A data source: its share of the mixture.
  if (
    decl?.kind === "data" &&
    frames.length === 1 &&
    (value.kind === "weighted" || value.kind === "call") &&
    rel.length === fullPath.length
  ) {
    const d =
      a.checked?.data.find((x) => x.name === decl.name.text) ??
      a.checked?.trains.map((t) => t.data).find((x) => x.name === decl.name.text);
    const s =
      d?.sources.find((x) => x.name === rel.join(".")) ??
      (rel[0] === "heldout" ? d?.heldout : undefined);
    if (d && s) {
      const runs = (a.checked?.trains ?? [])
        .filter((t) => t.data.name === d.name)
        .slice(0, MAX_RUNS_SHOWN)
        .map((t) => env.realised?.(t, a.path))
        .filter((r): r is RealisedRun => r !== undefined);
      return { markdown: describeSource(s, d, s === d.heldout ? [] : runs), span };
    }
    if (!blockFields("data").some((f) => f.name === rel[0]))
      return {
        markdown: `**source \`${rel.join(".")}\`** of \`data ${decl.name.text}\`\n\n(its share is not computed: the mixture has errors)`,
        span,
      };
  }
  const schema = bodySchema(program, module, frames);
  const found = schema && fieldAlong(program, schema, rel);
  if (!found) return undefined;
  let resolved = resolvedField(a, frames, fullPath);
  // A nested component's resolved config also holds context numbers its schema does not list.
  const nested = found.info.component ? componentKind(found.info.component) : undefined;
  if (resolved && nested && isConfig(resolved.value as never)) {
    const all = resolved.value as Record<string, unknown>;
    const shown = Object.fromEntries(
      nested.fields.filter((f) => f.name in all).map((f) => [f.name, all[f.name]]),
    );
    resolved = { ...resolved, value: shown };
  }
  const title = found.kind ? `${found.kind.name}.${rel[rel.length - 1]}` : fullPath.join(".");
  return { markdown: describeField(title, found.info, resolved), span };
}

function boundHover(a: Analysis, b: Bound, frames: readonly Frame[]): string | undefined {
  const q = pathText(b.path);
  const info = blockFields("budget").find((f) => f.name === q);
  if (!info || !(QUANTITIES as readonly string[]).includes(q)) return undefined;
  const decl = rootDecl(frames);
  const m =
    decl?.kind === "model" ? a.checked?.models.find((x) => x.name === decl.name.text) : undefined;
  const lines = [`**${q}**`, "", info.doc];
  if (m) lines.push("", ...boundValueLines(a, q as Quantity, b, m));
  return lines.join("\n");
}

function boundValueLines(a: Analysis, q: Quantity, b: Bound, m: CheckedModel): string[] {
  if (q !== "train_memory" && q !== "train_memory_per_device")
    return [describeBound(q, b, quantityValue(q, m.summary))];
  const trains = a.checked?.trains.filter((t) => t.model.name === m.name) ?? [];
  if (trains.length === 0)
    return [describeBound(q, b, undefined, "no `train` in this file uses the model")];
  return trains.map((t) =>
    describeBound(q, b, quantityValue(q, m.summary, t), `in \`train ${t.name}\``),
  );
}

/** The model's budget lines with their margins: its own bounds and those it inherits. */
function budgetLines(
  a: Analysis,
  program: Program,
  module: Module,
  decl: ModelDecl,
  m: CheckedModel,
): string[] {
  return modelBounds(program, module, decl, 0).flatMap((b) => {
    const q = pathText(b.path);
    return (QUANTITIES as readonly string[]).includes(q)
      ? boundValueLines(a, q as Quantity, b, m)
      : [];
  });
}

/** A variant keeps its base's bounds except those on a quantity its own budget bounds. */
function modelBounds(program: Program, module: Module, decl: ModelDecl, depth: number): Bound[] {
  const own = decl.body.members.flatMap((m) => (m.kind === "budget" ? m.bounds : []));
  if (!decl.base || depth > 32) return own;
  const base = lookup(module, decl.base);
  const home = base && homeOf(program, base);
  if (!home || base.decl?.kind !== "model") return own;
  const ownQ = new Set(own.map((b) => pathText(b.path)));
  return [
    ...modelBounds(program, home, base.decl, depth + 1).filter((b) => !ownQ.has(pathText(b.path))),
    ...own,
  ];
}
