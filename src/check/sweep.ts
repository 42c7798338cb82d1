// Checking `sweep` blocks (MM1's ablation grids): a base `train` with overrides, axes to vary,
// and metrics to report. Every point of the grid is checked as a train of its own.
import type { DiagnosticInit } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Module } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import { pathText, type BlockDecl, type Member, type Name, type Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import type { CheckedSweep, CheckedTrain, SweepAxis } from "./ir.js";
import { describeSym } from "./describe-sym.js";
import { checkTrain, TRAIN_FIELDS } from "./train.js";

export const REPORT_METRICS = [
  "loss",
  "caption_loss",
  "caption_accuracy",
  "text_loss",
  "params",
  "active_params",
  "image_tokens",
  "flops_per_token",
  "train_memory",
  "tokens_per_second",
] as const;
export const MAX_SWEEP_POINTS = 256;

interface Axis {
  path: readonly Name[];
  values: readonly Value[];
  span: Span;
}

export function checkSweep(
  ctx: CheckContext,
  module: Module,
  decl: BlockDecl,
): CheckedSweep | undefined {
  let baseValue: Value | undefined;
  const axes: Axis[] = [];
  let report: string[] = ["loss"];
  let ok = true;
  for (const m of decl.body.members) {
    if (m.kind === "budget") {
      ctx.report({
        code: "MM2007",
        message: "a `budget` block cannot appear in a `sweep`",
        span: m.span,
        help: "put budgets in the `model`",
      });
      continue;
    }
    if (m.kind === "vary") {
      const v = m.value;
      if (v.kind !== "list" || v.items.length === 0) {
        ctx.report({
          code: "MM5102",
          message: `\`vary ${pathText(m.path)}\` needs a non-empty list of values`,
          span: v.span,
          help: `write \`vary ${pathText(m.path)}: [value1, value2]\``,
        });
        ok = false;
        continue;
      }
      const head = m.path[0]!.text;
      if (head !== "model" && !(TRAIN_FIELDS as readonly string[]).includes(head)) {
        ctx.report({
          code: "MM5101",
          message: `a sweep cannot vary \`${pathText(m.path)}\``,
          span: m.path[0]!.span,
          notes: [
            "a sweep varies the model (`model.connector`, `model.llm.depth`, ...) or a field of the train (`steps`, `batch`, `data`, ...)",
          ],
          help: didYouMean(head, [...TRAIN_FIELDS]) ?? "vary `model.PART` or a train field",
        });
        ok = false;
        continue;
      }
      if (head === "model" && m.path.length < 2) {
        ctx.report({
          code: "MM5101",
          message: "`vary model` must name a part of the model",
          span: m.path[0]!.span,
          help: "write e.g. `vary model.connector: [...]` or `vary model.image: [...]`",
        });
        ok = false;
        continue;
      }
      repeatedValues(ctx, m.path, v.items);
      axes.push({ path: m.path, values: v.items, span: m.span });
      continue;
    }
    const key = pathText(m.path);
    if (key === "base") baseValue = m.value;
    else if (key === "report") {
      const v = m.value;
      if (v.kind !== "list") {
        ctx.report({
          code: "MM2009",
          message: `\`report\` must be a list of metrics, not ${describeValue(v)}`,
          span: v.span,
          help: "write `report: [loss, params]`",
        });
        continue;
      }
      report = [];
      for (const item of v.items) {
        if (item.kind === "name" && (REPORT_METRICS as readonly string[]).includes(item.name.text))
          report.push(item.name.text);
        else {
          const word =
            item.kind === "name" ? item.name.text : item.kind === "string" ? item.value : "";
          const hint = didYouMean(word, REPORT_METRICS);
          ctx.report({
            code: "MM5103",
            message:
              item.kind === "name"
                ? `unknown metric \`${word}\` in \`report\``
                : `\`report\` lists metric names, not ${describeValue(item)}`,
            span: item.span,
            notes: [`metrics: ${REPORT_METRICS.map((r) => `\`${r}\``).join(", ")}`],
            help:
              item.kind === "string" && (REPORT_METRICS as readonly string[]).includes(word)
                ? `write \`${word}\` without quotes`
                : (hint ?? partHint(word) ?? "use one of the metrics listed"),
          });
        }
      }
    } else {
      ctx.report({
        code: "MM2007",
        message: `a sweep has no field \`${key}\``,
        span: m.path[0]!.span,
        notes: ["a sweep has `base`, `vary PATH: [...]` and `report`"],
        help: didYouMean(key, ["base", "report"]) ?? "remove it",
      });
    }
  }
  if (!baseValue) {
    ctx.report({
      code: "MM2011",
      message: `\`sweep ${decl.name.text}\` has no \`base\``,
      span: decl.name.span,
      help: "add `base: TRAIN` or `base: TRAIN { steps: 200 }`",
    });
    return undefined;
  }
  const baseName =
    baseValue.kind === "name"
      ? baseValue.name
      : baseValue.kind === "component"
        ? baseValue.callee
        : undefined;
  if (!baseName) {
    ctx.report({
      code: "MM5104",
      message: `\`base\` must name a \`train\`, not ${describeValue(baseValue)}`,
      span: baseValue.span,
      help: "write `base: TRAIN` or `base: TRAIN { steps: 200 }`",
    });
    return undefined;
  }
  const sym = ctx.lookup(module, baseName);
  if (!sym) return undefined;
  if (sym.kind !== "train" || sym.decl?.kind !== "train") {
    ctx.report({
      code: "MM5104",
      message: `\`base\` must name a \`train\`, but \`${baseName.text}\` is ${describeSym(sym)}`,
      span: baseName.span,
      label: `declared as ${describeSym(sym)}`,
      help: trainsUsing(module, baseName.text) ?? "name a `train` declaration",
    });
    return undefined;
  }
  const baseDecl = sym.decl;
  const baseMembers: Member[] = baseValue.kind === "component" ? [...baseValue.body.members] : [];
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_SWEEP_POINTS) {
    ctx.report({
      code: "MM5105",
      message: `\`sweep ${decl.name.text}\` has ${size} points, more than ${MAX_SWEEP_POINTS}`,
      span: decl.name.span,
      secondary: axes.map((a) => ({ span: a.span, message: `${a.values.length} values` })),
      notes: [
        `${axes.map((a) => a.values.length).join(" x ")} = ${size} points, one training run each`,
      ],
      help: "vary fewer values, or split the sweep",
    });
    return undefined;
  }
  if (!ok) return undefined;

  const baseModule = ctx.moduleOf(sym) ?? module;
  const points: { labels: string[]; train: CheckedTrain }[] = [];
  const grid = cartesian(axes.map((a) => a.values.map((_, i) => i)));
  const found = new Map<string, { init: DiagnosticInit; points: string[] }>();
  for (const [n, idx] of grid.entries()) {
    const labels = idx.map((i, a) => label(ctx, axes[a]!.values[i]!));
    const members: Member[] = [...baseMembers];
    const modelOverrides: { path: readonly Name[]; value: Value; span: Span }[] = [];
    idx.forEach((i, a) => {
      const axis = axes[a]!;
      const value = axis.values[i]!;
      if (axis.path[0]!.text === "model")
        modelOverrides.push({ path: axis.path.slice(1), value, span: value.span });
      else members.push({ kind: "field", path: axis.path, value, span: value.span });
    });
    const name = `${decl.name.text}[${labels.join(", ")}]`;
    const { result: train, reports } = ctx.capture(() =>
      checkTrain(ctx, baseModule, baseDecl, { members, model: modelOverrides, name }),
    );
    const at = `p${n} (${idx.map((i, a) => `${pathText(axes[a]!.path)} = ${labels[a]}`).join(", ")})`;
    for (const r of reports) {
      const key = `${r.code}|${r.span.file}|${r.span.start}|${r.message}`;
      const seen = found.get(key);
      if (seen) seen.points.push(at);
      else found.set(key, { init: r, points: [at] });
    }
    if (train) points.push({ labels, train });
    else ok = false;
  }
  // Each problem once, naming the grid points it is in (a point is a train of its own).
  for (const { init, points: where } of found.values())
    ctx.report({
      ...init,
      notes: [...(init.notes ?? []), pointsNote(decl.name.text, where, grid.length)],
    });
  if (!ok) return undefined;
  const axisInfo: SweepAxis[] = axes.map((a) => ({
    path: pathText(a.path),
    labels: a.values.map((v) => label(ctx, v)),
  }));
  return {
    name: decl.name.text,
    span: decl.span,
    base: baseName.text,
    axes: axisInfo,
    points,
    report,
  };
}

/** MM7001: a value written twice on one axis makes points that train the same thing. */
function repeatedValues(ctx: CheckContext, path: readonly Name[], items: readonly Value[]): void {
  const first = new Map<string, Value>();
  for (const item of items) {
    const text = label(ctx, item);
    const earlier = first.get(text);
    if (earlier === undefined) {
      first.set(text, item);
      continue;
    }
    ctx.report({
      code: "MM7001",
      severity: "warning",
      message: `\`vary ${pathText(path)}\` lists \`${text}\` twice`,
      span: item.span,
      label: "repeated here",
      secondary: [{ span: earlier.span, message: "first here" }],
      notes: ["the points that differ only in this value would train the same thing twice"],
      help: "remove the repeated value",
    });
  }
}

/** "in point p1 of `sweep s` (batch = 0)", or the first few of several points. */
function pointsNote(sweep: string, where: readonly string[], total: number): string {
  if (where.length === 1) return `in point ${where[0]} of \`sweep ${sweep}\``;
  const shown = where.slice(0, 4).join("; ");
  const more = where.length > 4 ? `; and ${where.length - 4} more` : "";
  return `in ${where.length === total ? "every one" : where.length} of the ${total} points of \`sweep ${sweep}\`: ${shown}${more}`;
}

/** `tokens` -> "did you mean `image_tokens` or `tokens_per_second`?": metrics with that word in them. */
function partHint(word: string): string | undefined {
  const hits = REPORT_METRICS.filter((m) => word !== "" && m.split("_").includes(word));
  if (hits.length === 0) return undefined;
  return `did you mean ${hits.map((h) => `\`${h}\``).join(" or ")}?`;
}

/** "did you mean `tiny`?" when the base names the model of a train this file can see. */
function trainsUsing(module: Module, modelName: string): string | undefined {
  for (const sym of module.scope.values()) {
    const d = sym.decl;
    if (sym.kind !== "train" || d?.kind !== "train") continue;
    const m = d.body.members.find((x) => x.kind === "field" && pathText(x.path) === "model");
    if (m?.kind === "field" && m.value.kind === "name" && m.value.name.text === modelName)
      return `did you mean \`${sym.name}\`, the \`train\` of \`model ${modelName}\`?`;
  }
  return undefined;
}

function cartesian(lists: number[][]): number[][] {
  return lists.reduce<number[][]>(
    (acc, list) => acc.flatMap((prefix) => list.map((x) => [...prefix, x])),
    [[]],
  );
}

/** A value as the user wrote it, with whitespace collapsed: the column label in reports. */
function label(ctx: CheckContext, v: Value): string {
  const text =
    ctx.program.sources.get(v.span.file)?.text.slice(v.span.start, v.span.end) ?? describeValue(v);
  return text.replace(/\s+/g, " ").trim();
}
