// A train's stage fields: `freeze` (parts or tensor paths that take no gradient and no optimizer
// state) and `init: <train>` (start from another train's newest checkpoint: same weights, or
// dense MLPs upcycled into MoE experts), checked against the weight manifests.
import type { ModelSummary } from "../components/model.js";
import {
  describeStageProblem,
  FREEZE_PARTS,
  isFrozen,
  planStage,
  underPath,
} from "../components/stages.js";
import type { WeightTensor } from "../components/types.js";
import { suggest } from "../diagnostics/suggest.js";
import type { Module, Sym } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import type { BlockDecl, Name, Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import type { CheckedTrain, TrainFreeze, TrainInit } from "./ir.js";

/** Mismatches listed in one MM5018 before the rest are counted. */
const MAX_LISTED = 8;

type Part = (typeof FREEZE_PARTS)[number];

function isPart(s: string): s is Part {
  return (FREEZE_PARTS as readonly string[]).includes(s);
}

/** Tensors with storage of their own (a tied head is its embedding's storage). */
function owned(manifest: readonly WeightTensor[]): WeightTensor[] {
  return manifest.filter((t) => t.tiedTo === undefined);
}

function count(tensors: readonly WeightTensor[]): number {
  return tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
}

/**
 * `freeze: [vision, "llm.embed"]`: each item a part of the model or a path of its tensors.
 * Returns the frozen paths with the counts, or undefined after reporting a problem.
 */
export function checkFreeze(
  ctx: CheckContext,
  value: Value,
  summary: ModelSummary,
  modelName: string,
  trainName: string,
): TrainFreeze | undefined {
  if (value.kind !== "list") {
    ctx.report({
      code: "MM5014",
      message: `\`freeze\` must be a list of parts, not ${describeValue(value)}`,
      span: value.span,
      help: 'write `freeze: [vision]`, or a list of parts and tensor paths: `freeze: [vision, "llm.embed"]`',
    });
    return undefined;
  }
  const paths: string[] = [];
  let ok = true;
  for (const item of value.items) {
    const path = item.kind === "name" ? item.name.text : item.kind === "string" ? item.value : "";
    if (item.kind !== "name" && item.kind !== "string") {
      ctx.report({
        code: "MM5014",
        message: `an item of \`freeze\` must be a part or a quoted tensor path, not ${describeValue(item)}`,
        span: item.span,
        help: 'write a part (`vision`, `connector`, `llm`) or a path in quotes: `"llm.embed"`',
      });
      ok = false;
      continue;
    }
    if (!checkFreezePath(ctx, path, item.span, summary, modelName)) ok = false;
    else if (!paths.includes(path)) paths.push(path);
  }
  if (!ok) return undefined;
  const frozen = frozenCount(summary, paths);
  if (paths.length > 0 && frozen >= summary.params) {
    ctx.report({
      code: "MM5013",
      message: `\`freeze\` freezes every parameter of \`model ${modelName}\`: \`train ${trainName}\` would train nothing`,
      span: value.span,
      label: `all ${summary.params.toLocaleString("en-US")} parameters`,
      help: "leave at least one part out of `freeze` (MM1 freezes the image encoder and trains the rest)",
    });
    return undefined;
  }
  return { paths, trainable: summary.params - frozen, frozen, span: value.span };
}

/** Checks one `freeze` path against the model's parts and manifest; reports and returns false. */
function checkFreezePath(
  ctx: CheckContext,
  path: string,
  span: Span,
  summary: ModelSummary,
  modelName: string,
): boolean {
  const [head = "", ...rest] = path.split(".");
  if (!isPart(head)) {
    const near = suggest(head, FREEZE_PARTS);
    ctx.report({
      code: "MM5010",
      message: `\`freeze\` names \`${path}\`, which is not a part of a model`,
      span,
      label: "not `vision`, `connector` or `llm`",
      help:
        (near ? `did you mean \`${rest.length > 0 ? [near, ...rest].join(".") : near}\`? ` : "") +
        'a model\'s parts are `vision`, `connector` and `llm`; a path of tensors starts with one (`"llm.embed"`)',
    });
    return false;
  }
  const part = summary.parts[head];
  if (part === undefined) {
    ctx.report({
      code: "MM5011",
      message: `\`model ${modelName}\` has no \`${head}\` to freeze`,
      span,
      label: `\`model ${modelName}\` is text-only`,
      help: `remove \`${path}\` from \`freeze\``,
    });
    return false;
  }
  if (rest.length === 0) return true;
  const tensors = owned(part.manifest);
  if (tensors.some((t) => underPath(t.name, path))) return true;
  const tied = part.manifest.find((t) => t.tiedTo !== undefined && underPath(t.name, path));
  // The next level of names under the deepest prefix of `path` that exists.
  let known: string = head;
  for (let i = 1; i <= rest.length; i++) {
    const p = [head, ...rest.slice(0, i)].join(".");
    if (tensors.some((t) => underPath(t.name, p))) known = p;
  }
  const children = [
    ...new Set(
      tensors
        .filter((t) => underPath(t.name, known) && t.name !== known)
        .map((t) => `${known}.${t.name.slice(known.length + 1).split(".")[0]}`),
    ),
  ];
  const near = suggest(path, children);
  ctx.report({
    code: "MM5012",
    message: `no tensor of \`model ${modelName}\` is under \`${path}\``,
    span,
    ...(tied
      ? {
          notes: [
            `\`${tied.name}\` is tied to \`${tied.tiedTo}\`: it is that tensor's storage, frozen with it`,
          ],
        }
      : {}),
    help:
      (near ? `did you mean \`"${near}"\`? ` : "") +
      `the tensors under \`${known}\` are in ${children
        .slice(0, 6)
        .map((c) => `\`${c}\``)
        .join(", ")}${children.length > 6 ? ", ..." : ""}`,
  });
  return false;
}

/** Unique parameters under `paths`: whole parts by their closed-form counts, paths by manifest. */
function frozenCount(summary: ModelSummary, paths: readonly string[]): number {
  let n = 0;
  for (const name of FREEZE_PARTS) {
    const part = summary.parts[name];
    if (part === undefined) continue;
    if (paths.includes(name)) n += part.params;
    else if (paths.some((p) => p.startsWith(`${name}.`)))
      n += count(owned(part.manifest).filter((t) => isFrozen(t.name, paths)));
  }
  return n;
}

/** Trains whose `init` is being checked, per check: a chain that comes back is a cycle. */
const initStack = new WeakMap<CheckContext, string[]>();
const cyclesSeen = new WeakMap<CheckContext, Set<string>>();

/**
 * `init: pretrain`: a train in this file with a `checkpoint`, whose model's weights fit this
 * train's model (the same names and shapes, or dense MLPs where this model has MoE layers).
 * `checkEarlier` checks that train (memoised by the caller).
 */
export function checkInit(
  ctx: CheckContext,
  module: Module,
  value: Value,
  self: { readonly name: Name; readonly trainName: string; readonly dir: string | undefined },
  summary: ModelSummary,
  modelName: string,
  checkEarlier: (sym: Sym, decl: BlockDecl) => CheckedTrain | undefined,
): TrainInit | undefined {
  if (value.kind !== "name") {
    ctx.report({
      code: "MM5015",
      message: `\`init\` must name a \`train\`, not ${describeValue(value)}`,
      span: value.span,
      help: "write `init: NAME` with `NAME` a train in this file that writes checkpoints",
    });
    return undefined;
  }
  const sym = ctx.lookup(module, value.name);
  if (!sym) return undefined;
  if (sym.kind !== "train" || sym.decl?.kind !== "train" || ctx.moduleOf(sym) !== module) {
    ctx.report({
      code: "MM5015",
      message:
        sym.kind === "train"
          ? `\`init\` names \`train ${sym.name}\` of another file; a stage starts from a train in the same file`
          : `\`init\` must name a \`train\`, but \`${sym.name}\` is a ${sym.kind}`,
      span: value.span,
      help: "write `init: NAME` with `NAME` a train declared in this file",
    });
    return undefined;
  }
  const stack = initStack.get(ctx) ?? [];
  initStack.set(ctx, stack);
  if (sym.name === self.trainName || stack.includes(sym.name)) {
    const chain = [...stack.slice(Math.max(0, stack.indexOf(sym.name))), self.trainName, sym.name];
    // One cycle is one mistake: reported once, at the first train of it that is checked.
    const seen = cyclesSeen.get(ctx) ?? new Set<string>();
    cyclesSeen.set(ctx, seen);
    const id = [...new Set(chain)].sort().join("|");
    if (seen.has(id)) return undefined;
    seen.add(id);
    ctx.report({
      code: "MM5016",
      message:
        sym.name === self.trainName
          ? `\`train ${self.trainName}\` starts from itself`
          : `the \`init\` chain comes back to \`train ${sym.name}\`: ${chain.map((n) => `\`${n}\``).join(" -> ")}`,
      span: value.span,
      help: "a stage starts from an earlier train; to continue a train's own run, use `mmc run --resume`",
    });
    return undefined;
  }
  stack.push(self.trainName);
  let earlier: CheckedTrain | undefined;
  try {
    earlier = checkEarlier(sym, sym.decl);
  } finally {
    stack.pop();
  }
  if (!earlier) return undefined;
  if (!earlier.checkpoint) {
    ctx.report({
      code: "MM5017",
      message: `\`train ${earlier.name}\` writes no checkpoints, so \`train ${self.trainName}\` has nothing to start from`,
      span: value.span,
      secondary: [{ span: sym.decl.name.span, message: "declared here without `checkpoint`" }],
      help: `add \`checkpoint: { every: ${Math.max(1, earlier.steps)}, dir: "runs/${earlier.name}" }\` to \`train ${earlier.name}\``,
    });
    return undefined;
  }
  if (self.dir !== undefined && normalDir(self.dir) === normalDir(earlier.checkpoint.dir)) {
    ctx.report({
      code: "MM5019",
      message: `\`train ${self.trainName}\` writes its checkpoints into \`${self.dir}\`, the folder of \`train ${earlier.name}\` it starts from`,
      span: value.span,
      help: `give \`train ${self.trainName}\` a folder of its own: \`checkpoint: { dir: "runs/${self.trainName}" }\``,
    });
    return undefined;
  }
  const from = owned(earlier.model.summary.manifest);
  const plan = planStage(from, owned(summary.manifest));
  if (plan.problems.length > 0) {
    const there = `\`train ${earlier.name}\`'s \`model ${earlier.model.name}\``;
    const here = `\`model ${modelName}\``;
    const listed = plan.problems
      .slice(0, MAX_LISTED)
      .map((p) => describeStageProblem(p, `\`model ${earlier.model.name}\``, here));
    const more = plan.problems.length - listed.length;
    ctx.report({
      code: "MM5018",
      message: `the weights of ${there} do not fit ${here} of \`train ${self.trainName}\` (${plan.problems.length} mismatch${plan.problems.length === 1 ? "" : "es"})`,
      span: value.span,
      secondary: [
        { span: earlier.model.span, message: `\`model ${earlier.model.name}\` is declared here` },
      ],
      notes: [...listed, ...(more > 0 ? [`and ${more} more`] : [])],
      help: `a stage starts from a model with the same tensors and shapes (or a dense decoder where this one has MoE layers of the same widths); train ${here} from scratch, or change it to match`,
    });
    return undefined;
  }
  return {
    train: earlier.name,
    dir: earlier.checkpoint.dir,
    upcycledLayers: plan.upcycledLayers,
    span: value.span,
  };
}

function normalDir(dir: string): string {
  return dir.replace(/\/+$/, "").replace(/^\.\//, "");
}
