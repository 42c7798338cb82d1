// The check stage: evaluates every declaration of the entry file (and what it uses from its
// imports) into the IR, reporting shape, value, budget, data and training problems.
import { componentSummary } from "../components/counting.js";
import type { Problem } from "../components/types.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { ModuleHost, Program } from "../resolve/program.js";
import { checkBounds } from "./budget.js";
import { evalComponent } from "./component-value.js";
import { CheckContext } from "./context.js";
import type {
  CheckedComponent,
  CheckedData,
  CheckedModel,
  CheckedProgram,
  CheckedSweep,
  CheckedTrain,
} from "./ir.js";
import { checkInits, type WeightsReader } from "./init.js";
import { checkModelDecl } from "./model.js";
import { checkSweep } from "./sweep.js";
import { checkTrain, dataFor } from "./train.js";

/** Problems that only say the stand-in neighbours do not fit; a preset alone cannot be blamed. */
function aboutNeighbours(p: Problem): boolean {
  return (p.related ?? []).some((r) => /^(image|input|vision|connector|llm)(\.|$)/.test(r));
}

/**
 * `files` gives what the checker reads through the host (the stage itself does no I/O): a BPE
 * tokenizer's ids, and `weights`, the headers of `init` files. Without a reader the `init`s are
 * checked as written, not against their files.
 */
export function checkProgram(
  program: Program,
  files: Pick<ModuleHost, "tokenizerIds"> & { readonly weights?: WeightsReader } = {},
): {
  checked: CheckedProgram;
  diagnostics: Diagnostic[];
} {
  const ctx = new CheckContext(program, files);
  const module = program.entry;
  const models: CheckedModel[] = [];
  const components: CheckedComponent[] = [];
  const data: CheckedData[] = [];
  const trains: CheckedTrain[] = [];
  const sweeps: CheckedSweep[] = [];
  const modelUsedByTrain = new Set<string>();

  for (const decl of module.ast.declarations) {
    switch (decl.kind) {
      case "preset": {
        const inst = evalComponent(ctx, module, decl.value, {
          role: decl.role,
          slot: `preset \`${decl.name.text}\``,
        });
        if (!inst) break;
        const summary = componentSummary(inst.kind, inst.config);
        if (summary.ok) {
          components.push({
            name: decl.name.text,
            role: decl.role,
            ...(decl.doc ? { doc: decl.doc } : {}),
            span: decl.span,
            summary,
          });
          for (const w of summary.warnings) reportOnInstance(ctx, w, inst.origins, decl.value.span);
        } else {
          for (const p of summary.problems)
            if (!aboutNeighbours(p)) reportOnInstance(ctx, p, inst.origins, decl.value.span);
        }
        break;
      }
      case "model": {
        const r = checkModelDecl(ctx, module, decl);
        if (r) {
          models.push(r.model);
          checkBounds(ctx, r.draft.bounds, { modelName: r.model.name, summary: r.model.summary });
        }
        break;
      }
      case "data": {
        const sym = module.declared.get(decl.name.text);
        const d = sym && sym.decl === decl ? dataFor(ctx, sym) : undefined;
        if (d) data.push(d);
        break;
      }
      case "train": {
        const t = checkTrain(ctx, module, decl);
        if (t) {
          trains.push(t);
          modelUsedByTrain.add(t.model.name);
        }
        break;
      }
      case "sweep": {
        const s = checkSweep(ctx, module, decl);
        if (s) sweeps.push(s);
        break;
      }
      default:
        break;
    }
  }
  warnUncheckedMemoryBounds(ctx, module, modelUsedByTrain);
  const weights = files.weights;
  if (weights) {
    const reader = cachedReader(weights);
    const all = [
      ...models,
      ...trains.map((t) => t.model),
      ...sweeps.flatMap((s) => s.points.map((p) => p.train.model)),
    ];
    for (const m of all) if (m.init) checkInits(ctx, m, reader);
  }
  return {
    checked: { file: module.path, models, components, data, trains, sweeps },
    diagnostics: ctx.diagnostics,
  };
}

function reportOnInstance(
  ctx: CheckContext,
  p: Problem,
  origins: Map<string, import("../source/source-file.js").Span>,
  fallback: import("../source/source-file.js").Span,
): void {
  const span = p.fields.map((f) => origins.get(f)).find((s) => s !== undefined) ?? fallback;
  ctx.report({
    code: p.code,
    severity: p.severity,
    message: p.message,
    span,
    notes: [...(p.notes ?? [])],
    ...(p.help ? { help: p.help } : {}),
  });
}

/** A `train_memory` bound on a model that no `train` in this file uses cannot be checked: say so. */
function warnUncheckedMemoryBounds(
  ctx: CheckContext,
  module: Program["entry"],
  used: Set<string>,
): void {
  for (const decl of module.ast.declarations) {
    if (decl.kind !== "model" || used.has(decl.name.text)) continue;
    for (const m of decl.body.members) {
      if (m.kind !== "budget") continue;
      for (const b of m.bounds) {
        const q = b.path.map((p) => p.text).join(".");
        if (q !== "train_memory" && q !== "train_memory_per_device") continue;
        ctx.report({
          code: "MM3003",
          severity: "warning",
          message: `the \`${q}\` bound of \`model ${decl.name.text}\` is not checked: no \`train\` in this file uses it`,
          span: b.span,
          help: `add a \`train\` with \`model: ${decl.name.text}\`, which sets the batch and sequence the memory depends on`,
        });
      }
    }
  }
}

/** Each file's header read once per check (a model, its trains and sweep points share them). */
function cachedReader(r: WeightsReader): WeightsReader {
  const headers = new Map<string, ReturnType<WeightsReader["header"]>>();
  const maps = new Map<string, ReturnType<WeightsReader["nameMap"]>>();
  return {
    header(path, root) {
      const key = `${root}\0${path}`;
      let h = headers.get(key);
      if (!h) headers.set(key, (h = r.header(path, root)));
      return h;
    },
    nameMap(path, root) {
      const key = `${root}\0${path}`;
      let m = maps.get(key);
      if (!m) maps.set(key, (m = r.nameMap(path, root)));
      return m;
    },
  };
}
