// Checking `model` declarations: the image type, the three parts, variants with dotted
// overrides, then the components' composition rules, mapped back onto source spans.
import { LIMITS, limitText } from "../components/limits.js";
import { configKey, Memo } from "../components/config-memo.js";
import { composeModel, type ModelInput, type ModelSummary } from "../components/model.js";
import type { ConfigValue, Problem } from "../components/types.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Module, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import {
  pathText,
  type Bound,
  type Member,
  type ModelDecl,
  type Name,
  type Value,
} from "../syntax/ast.js";
import {
  cloneInstance,
  evalComponent,
  setField,
  type ComponentInstance,
  type Role,
} from "./component-value.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import { readInit, type CheckedInit, type InitSource } from "./init.js";
import type { CheckedModel } from "./ir.js";
import { tilesValue } from "./tiles.js";
import type { TilesConfig } from "../components/tiles.js";

export type PartName = "vision" | "connector" | "llm";
const PART_ROLES: Record<PartName, Role> = {
  vision: "encoder",
  connector: "connector",
  llm: "llm",
};
const MODEL_FIELDS = ["image", "tiles", "vision", "connector", "llm", "init"] as const;

/** A model before composition: what was written, with spans. */
export interface ModelDraft {
  readonly name: string;
  readonly decl: ModelDecl;
  readonly module: Module;
  image?: { value: [number, number, number]; span: Span };
  /** High-resolution sub-images (check/tiles.ts). */
  tiles?: { value: TilesConfig; span: Span };
  parts: Partial<Record<PartName, ComponentInstance>>;
  /** `init: safetensors(...)` on the model: weights for the parts without an `init` of their own. */
  init?: InitSource;
  /**
   * Budget bounds with the model that wrote them. A variant keeps its base's bounds, except
   * those on a quantity the variant bounds itself.
   */
  bounds: BoundEntry[];
  /** Whether a part failed to evaluate (then composition is skipped: one mistake, one error). */
  broken: boolean;
}

export interface BoundEntry {
  readonly bound: Bound;
  readonly module: Module;
  /** The model whose `budget` block holds the bound. */
  readonly owner: string;
}

export function cloneDraft(d: ModelDraft): ModelDraft {
  const parts: Partial<Record<PartName, ComponentInstance>> = {};
  for (const [k, v] of Object.entries(d.parts)) parts[k as PartName] = cloneInstance(v);
  return {
    ...d,
    parts,
    bounds: [...d.bounds],
    ...(d.image ? { image: { ...d.image, value: [...d.image.value] } } : {}),
    ...(d.tiles ? { tiles: { ...d.tiles } } : {}),
  };
}

const drafts = new WeakMap<Sym, ModelDraft | null>();

/** The draft of a model symbol (memoised per symbol). */
export function modelDraft(ctx: CheckContext, sym: Sym): ModelDraft | undefined {
  const cached = drafts.get(sym);
  if (cached !== undefined) return cached ?? undefined;
  const decl = sym.decl;
  const module = ctx.moduleOf(sym);
  if (!decl || decl.kind !== "model" || !module) return undefined;
  let draft = ctx.guard(sym, decl.name.span, () => buildDraft(ctx, module, decl)) ?? null;
  const base = decl.base ? ctx.lookup(module, decl.base) : undefined;
  if (draft && !ctx.chain(sym, base?.kind === "model" ? base : undefined, decl.name.span))
    draft = null;
  drafts.set(sym, draft);
  return draft ?? undefined;
}

function buildDraft(ctx: CheckContext, module: Module, decl: ModelDecl): ModelDraft | undefined {
  let draft: ModelDraft = {
    name: decl.name.text,
    decl,
    module,
    parts: {},
    bounds: [],
    broken: false,
  };
  if (decl.base) {
    const baseSym = ctx.lookup(module, decl.base);
    if (!baseSym) return undefined;
    if (baseSym.kind !== "model") {
      ctx.report({
        code: "MM2012",
        message: `\`model ${decl.name.text}\` varies \`${decl.base.text}\`, which is a ${baseSym.kind}, not a model`,
        span: decl.base.span,
        help: "a variant is written `model B = A { ... }` where `A` is a model",
      });
      return undefined;
    }
    const base = modelDraft(ctx, baseSym);
    if (!base) return undefined;
    draft = { ...cloneDraft(base), name: decl.name.text, decl, module };
  }
  applyMembers(ctx, module, draft, decl.body.members);
  return draft;
}

/** Applies model fields (`vision: ...`) or, in variants and sweeps, dotted overrides (`connector.tokens: 144`). */
export function applyMembers(
  ctx: CheckContext,
  module: Module,
  draft: ModelDraft,
  members: readonly Member[],
): void {
  const seen = new Map<string, Span>();
  for (const m of members) {
    if (m.kind === "budget") {
      const own = new Set(m.bounds.map((b) => pathText(b.path)));
      draft.bounds = draft.bounds.filter(
        (e) => e.owner === draft.name || !own.has(pathText(e.bound.path)),
      );
      for (const bound of m.bounds) draft.bounds.push({ bound, module, owner: draft.name });
      continue;
    }
    if (m.kind === "vary") {
      ctx.report({
        code: "MM2007",
        message: "`vary` can only appear in a `sweep`",
        span: m.span,
        help: "move it into a `sweep` block",
      });
      continue;
    }
    const key = pathText(m.path);
    const first = seen.get(key);
    if (first) {
      ctx.report({
        code: "MM2008",
        message: `\`${key}\` is given twice in \`model ${draft.name}\``,
        span: m.span,
        secondary: [{ span: first, message: "first given here" }],
        help: "remove one of the two",
      });
      continue;
    }
    seen.set(key, m.span);
    setModelField(ctx, module, draft, m.path, m.value, m.span);
  }
}

export function setModelField(
  ctx: CheckContext,
  module: Module,
  draft: ModelDraft,
  path: readonly Name[],
  value: Value,
  span: Span,
): void {
  const [head, ...rest] = path;
  if (!head) return;
  const name = head.text;
  if (name === "image") {
    if (rest.length > 0) {
      ctx.report({
        code: "MM2007",
        message: "`image` has no fields",
        span: rest[0]!.span,
        help: "write `image: Image[3, 224, 224]`",
      });
      return;
    }
    const img = imageValue(ctx, value);
    if (img) draft.image = { value: img, span: value.span };
    else draft.broken = true;
    return;
  }
  if (name === "tiles") {
    if (rest.length > 0) {
      ctx.report({
        code: "MM4020",
        message: "`tiles` is set whole, not field by field",
        span: rest[0]!.span,
        help: 'write `tiles: { grids: ["1x1", "2x2"], overview: true }`',
      });
      return;
    }
    const tiles = tilesValue(ctx, value);
    if (tiles) draft.tiles = { value: tiles, span: value.span };
    else draft.broken = true;
    return;
  }
  if (name === "init" && rest.length === 0) {
    const init = readInit(ctx, value, module.path);
    if (init) draft.init = init;
    return;
  }
  if (name !== "vision" && name !== "connector" && name !== "llm") {
    const hint = didYouMean(name, MODEL_FIELDS);
    ctx.report({
      code: "MM2007",
      message: `a model has no field \`${name}\``,
      span: head.span,
      notes: [
        "a model has `image`, `tiles`, `vision`, `connector`, `llm`, `init` and a `budget { ... }` block",
      ],
      help: hint ?? "remove it",
    });
    return;
  }
  if (rest.length === 0) {
    const part = evalComponent(ctx, module, value, { role: PART_ROLES[name], slot: `\`${name}\`` });
    if (part) draft.parts[name] = part;
    else draft.broken = true;
    return;
  }
  const part = draft.parts[name];
  if (!part) {
    ctx.report({
      code: "MM2011",
      message: `\`model ${draft.name}\` has no \`${name}\` to change`,
      span: head.span,
      help: `set the whole part, e.g. \`${name}: ...\``,
    });
    return;
  }
  setField(ctx, module, part, rest, { value, span }, `${name}.`);
}

function imageValue(ctx: CheckContext, v: Value): [number, number, number] | undefined {
  if (v.kind === "error") return undefined;
  const dims = v.kind === "apply" && v.callee.text === "Image" ? v.args : undefined;
  if (
    !dims ||
    dims.length !== 3 ||
    dims.some(
      (d) => d.kind !== "number" || !Number.isInteger(d.value) || d.value < 1 || d.unit !== "none",
    )
  ) {
    ctx.report({
      code: "MM2009",
      message: `\`image\` must be \`Image[channels, height, width]\` with three positive integers, not ${describeValue(v)}`,
      span: v.span,
      help: "write `image: Image[3, 224, 224]`",
    });
    return undefined;
  }
  const value = dims.map((d) => (d.kind === "number" ? d.value : 0)) as [number, number, number];
  const names = ["channels", "height", "width"] as const;
  for (let i = 0; i < 3; i++) {
    const limit = i === 0 ? LIMITS.imageChannels : LIMITS.imageSide;
    const d = dims[i]!;
    if (value[i]! > limit.max) {
      ctx.report({
        code: "MM2010",
        message: `the image ${names[i]} ${value[i]} is more than ${limitText(limit.max)}, the most mmc accepts (${limit.why})`,
        span: d.span,
        help: "write `image: Image[3, 224, 224]` or another real image size",
      });
      return undefined;
    }
  }
  return value;
}

/** Span of a model path (`vision.patch`, `image`, `llm`) in a draft, for placing diagnostics. */
export function spanOfPath(draft: ModelDraft, path: string): Span | undefined {
  if (path === "image") return draft.image?.span;
  if (path === "tiles") return draft.tiles?.span;
  const [part, ...rest] = path.split(".");
  const inst = draft.parts[part as PartName];
  if (!inst) return undefined;
  if (rest.length === 0) return inst.span;
  return inst.origins.get(rest.join("."));
}

export function composeDraft(
  draft: ModelDraft,
  imagesPerSequence?: number,
): ReturnType<typeof composeModel> | undefined {
  const llm = draft.parts.llm;
  if (!llm || draft.broken) return undefined;
  const input: ModelInput = {
    ...(draft.image ? { image: draft.image.value } : {}),
    ...(draft.tiles ? { tiles: draft.tiles.value } : {}),
    ...(draft.parts.vision
      ? { vision: { kind: draft.parts.vision.kind.name, config: draft.parts.vision.config } }
      : {}),
    ...(draft.parts.connector
      ? {
          connector: {
            kind: draft.parts.connector.kind.name,
            config: draft.parts.connector.config,
          },
        }
      : {}),
    llm: { kind: llm.kind.name, config: llm.config },
    ...(imagesPerSequence !== undefined ? { imagesPerSequence } : {}),
  };
  if (!composeMemo.enabled) return composeModel(input);
  return composed.get(configKey(input as unknown as ConfigValue), () => composeModel(input));
}

/**
 * `composeModel` is a pure function of its input (kinds and configs, no spans), and a file's
 * models are composed again on every check the language server runs: each keystroke changes one
 * model, so the others are looked up here (config-memo.ts; results are never mutated).
 */
const composed = new Memo<ReturnType<typeof composeModel>>(512);
/** Turned off only by test/lsp/incremental.test.ts, whose from-scratch side must not share it. */
export const composeMemo = { enabled: true };

/** Reports a components problem on the spans of the draft it is about. */
export function reportProblem(
  ctx: CheckContext,
  draft: ModelDraft,
  p: Problem,
  extraNotes: string[] = [],
  outside: ReadonlyMap<string, { span: Span; label: string }> = new Map(),
): void {
  let primary: Span | undefined;
  let primaryPath: string | undefined;
  let outsideLabel: string | undefined;
  for (const f of p.fields) {
    primary = spanOfPath(draft, f) ?? spanOfPath(draft, f.split(".")[0] ?? f);
    primaryPath = f;
    if (primary) break;
    // A cause written outside the model, e.g. the data mixture's `images_per_sequence`.
    const o = outside.get(f);
    if (o) {
      primary = o.span;
      outsideLabel = o.label;
      break;
    }
  }
  // A cause outside the model (`images_per_sequence` of the model alone): point at the first
  // reason that is written in it instead, so the caret still lands on something to change.
  if (!primary) {
    for (const r of p.related ?? []) {
      primary = spanOfPath(draft, r);
      primaryPath = r;
      if (primary) break;
    }
  }
  if (!primary) primaryPath = undefined;
  primary ??= draft.decl.name.span;
  const labelFor = (path: string | undefined): string | undefined =>
    path ? p.labels?.[path] : undefined;
  const secondary = (p.related ?? [])
    .map((r) => ({ r, span: spanOfPath(draft, r) }))
    .filter(
      (x): x is { r: string; span: Span } =>
        x.span !== undefined && (x.span.start !== primary!.start || x.span.file !== primary!.file),
    )
    .map((x) => ({ span: x.span, message: labelFor(x.r) ?? `\`${x.r}\` is set here` }));
  const label = outsideLabel ?? labelFor(primaryPath);
  ctx.report({
    code: p.code,
    severity: p.severity,
    message: p.message,
    span: primary,
    ...(label ? { label } : {}),
    secondary,
    notes: [...(p.notes ?? []), ...extraNotes],
    ...(p.help ? { help: p.help } : {}),
  });
}

export function checkModelDecl(
  ctx: CheckContext,
  module: Module,
  decl: ModelDecl,
): { draft: ModelDraft; model: CheckedModel } | undefined {
  const sym = module.declared.get(decl.name.text);
  if (!sym || sym.decl !== decl) return undefined;
  const draft = modelDraft(ctx, sym);
  if (!draft) return undefined;
  if (!draft.parts.llm) {
    if (!draft.broken)
      ctx.report({
        code: "MM2011",
        message: `\`model ${draft.name}\` has no \`llm\``,
        span: decl.name.span,
        help: "add a language model, e.g. `llm: Decoder { vocab: 32000, width: 2048, depth: 24, heads: 16 }`",
      });
    return undefined;
  }
  const result = composeDraft(draft);
  if (!result) return undefined;
  if (!result.ok) {
    for (const p of result.problems) reportProblem(ctx, draft, p);
    return undefined;
  }
  for (const w of result.warnings) reportProblem(ctx, draft, w);
  return { draft, model: toChecked(draft, result) };
}

export function toChecked(draft: ModelDraft, summary: ModelSummary): CheckedModel {
  const part = (i: ComponentInstance | undefined) =>
    i ? { kind: i.kind.name, config: i.config } : undefined;
  const vision = part(draft.parts.vision);
  const connector = part(draft.parts.connector);
  const init: CheckedInit[] = [];
  if (draft.init) init.push({ scope: "model", source: draft.init });
  for (const p of ["vision", "connector", "llm"] as const) {
    const source = draft.parts[p]?.init;
    if (source) init.push({ scope: p, source });
  }
  return {
    name: draft.name,
    ...(draft.decl.doc ? { doc: draft.decl.doc } : {}),
    span: draft.decl.span,
    ...(draft.decl.base ? { base: draft.decl.base.text } : {}),
    ...(draft.image ? { image: draft.image.value } : {}),
    ...(draft.tiles ? { tiles: draft.tiles.value } : {}),
    parts: {
      ...(vision ? { vision } : {}),
      ...(connector ? { connector } : {}),
      llm: part(draft.parts.llm)!,
    },
    summary,
    ...(init.length > 0 ? { init } : {}),
    spans: {
      ...(draft.image ? { image: draft.image.span } : {}),
      ...(draft.tiles ? { tiles: draft.tiles.span } : {}),
      ...(draft.parts.vision ? { vision: draft.parts.vision.span } : {}),
      ...(draft.parts.connector ? { connector: draft.parts.connector.span } : {}),
      ...(draft.parts.llm ? { llm: draft.parts.llm.span } : {}),
    },
  };
}
