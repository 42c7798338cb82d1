// Checking `train` blocks: which model and data, steps, batch, sequence, optimizer, schedule,
// checkpoints; the sequence against the model's context and images; training memory budgets.
import { posix } from "node:path";
import { decoder } from "../components/decoder.js";
import { fixedDefault } from "../components/fields.js";
import { LIMITS } from "../components/limits.js";
import type { Precision } from "../components/model.js";
import type { Module } from "../resolve/program.js";
import type { Span } from "../source/source-file.js";
import {
  pathText,
  type BlockDecl,
  type Body,
  type Field,
  type Member,
  type Name,
  type Value,
} from "../syntax/ast.js";
import { checkBounds } from "./budget.js";
import type { CheckContext } from "./context.js";
import { checkData } from "./data.js";
import { describeSym } from "./describe-sym.js";
import { describeValue } from "./field-value.js";
import { specPath } from "./paths.js";
import { num, optimizer, record, schedule } from "./train-options.js";
import { checkFreeze, checkInit } from "./train-stages.js";
import { checkEvalFits, checkEvalTasks, EVAL_TASK_KINDS } from "./eval-tasks.js";
import type { CheckedData, CheckedModel, CheckedTrain } from "./ir.js";
import {
  applyMembers,
  cloneDraft,
  composeDraft,
  modelDraft,
  reportProblem,
  toChecked,
  type ModelDraft,
} from "./model.js";

/** Checkpoints a run keeps when `checkpoint.keep` is not written (the runtime's DEFAULT_KEEP). */
export const DEFAULT_CHECKPOINT_KEEP = 3;

/** Ids of the byte-level tokenizer: 256 bytes and BOS, EOS, PAD, IMAGE. */
export const BYTE_VOCAB = 260;

export const TRAIN_FIELDS = [
  "model",
  "data",
  "steps",
  "batch",
  "sequence",
  "seed",
  "precision",
  "optimizer",
  "schedule",
  "checkpoint",
  "eval",
  "log_every",
  "freeze",
  "init",
] as const;

function ref(
  ctx: CheckContext,
  module: Module,
  v: Value | undefined,
  kind: "model" | "data",
  trainName: Name,
): { name: Name; sym: NonNullable<ReturnType<CheckContext["lookup"]>>; body?: Body } | undefined {
  if (!v) {
    ctx.report({
      code: "MM2011",
      message: `\`train ${trainName.text}\` has no \`${kind}\``,
      span: trainName.span,
      help: `add \`${kind}: NAME\` naming a \`${kind}\` declaration`,
    });
    return undefined;
  }
  if (v.kind !== "name" && !(v.kind === "component" && kind === "model")) {
    ctx.report({
      code: "MM2009",
      message: `\`${kind}\` must name a \`${kind}\` declaration, not ${describeValue(v)}`,
      span: v.span,
      help: `declare it with \`${kind} NAME { ... }\` and write \`${kind}: NAME\``,
    });
    return undefined;
  }
  const name = v.kind === "name" ? v.name : v.callee;
  const sym = ctx.lookup(module, name);
  if (!sym) return undefined;
  if (sym.kind !== kind) {
    ctx.report({
      code: "MM2012",
      message: `\`${kind}\` must name a \`${kind}\` declaration, but \`${name.text}\` is ${describeSym(sym)}`,
      span: name.span,
      label: `declared as ${describeSym(sym)}`,
      help: `name a \`${kind}\` declaration here`,
    });
    return undefined;
  }
  return { name, sym, ...(v.kind === "component" ? { body: v.body } : {}) };
}

export interface TrainOverrides {
  /** Replace or add members of the train body (sweep bases and grid points). */
  readonly members?: readonly Member[];
  /** Extra model overrides applied after the train's own (`vary model.connector: ...`). */
  readonly model?: readonly { path: readonly Name[]; value: Value; span: Span }[];
  readonly name?: string;
  /**
   * The declaration the train is checked for, when it is not `decl` itself: a variant
   * (`train long = t { ... }`) is checked as its base's body with its own fields, but its
   * messages and its generated `source:` point at its own line.
   */
  readonly declaredAs?: BlockDecl;
}

/** `1 image`, `4 images`. */
function imagesCount(n: number): string {
  return n === 1 ? "1 image" : `${n} images`;
}

/** Checks a `train` block; sweeps call it again with overrides for each grid point. */
export function checkTrain(
  ctx: CheckContext,
  module: Module,
  decl: BlockDecl,
  extra: TrainOverrides = {},
): CheckedTrain | undefined {
  if (decl.base) return checkTrainVariant(ctx, module, decl, extra);
  const own = extra.declaredAs ?? decl;
  const members = [
    ...decl.body.members.filter(
      (m) =>
        !(
          m.kind === "field" &&
          (extra.members ?? []).some(
            (o) => o.kind === "field" && pathText(o.path) === pathText(m.path),
          )
        ),
    ),
    ...(extra.members ?? []),
  ];
  const f = record(ctx, `train ${decl.name.text}`, { members, span: decl.body.span }, TRAIN_FIELDS);
  const modelRef = ref(ctx, module, f.get("model")?.value, "model", decl.name);
  const dataRef = ref(ctx, module, f.get("data")?.value, "data", decl.name);
  const steps = f.get("steps")
    ? num(ctx, "steps", f.get("steps")!.value, { int: true, min: 1, limit: LIMITS.steps })
    : 1000;
  const batch = f.get("batch")
    ? num(ctx, "batch", f.get("batch")!.value, { int: true, min: 1, limit: LIMITS.batch })
    : 8;
  const seed = f.get("seed")
    ? num(ctx, "seed", f.get("seed")!.value, { int: true, min: 0, limit: LIMITS.seed })
    : 0;
  const logEvery = f.get("log_every")
    ? num(ctx, "log_every", f.get("log_every")!.value, {
        int: true,
        min: 1,
        limit: LIMITS.steps,
      })
    : 10;
  const opt = optimizer(ctx, f.get("optimizer")?.value);
  const sched = schedule(ctx, f.get("schedule")?.value, steps);
  let precision: Precision = "fp32";
  const pv = f.get("precision")?.value;
  if (pv) {
    if (
      pv.kind === "name" &&
      (pv.name.text === "fp32" || pv.name.text === "bf16" || pv.name.text === "mixed")
    )
      precision = pv.name.text;
    else
      ctx.report({
        code: "MM2009",
        message: `\`precision\` must be \`fp32\`, \`bf16\` or \`mixed\`, not ${describeValue(pv)}`,
        span: pv.span,
        help:
          pv.kind === "name" && pv.name.text === "fp16"
            ? "fp16 training is not supported: write `precision: bf16`, or `precision: mixed` (bf16 with fp32 master weights)"
            : "write `precision: fp32`, `precision: bf16` or `precision: mixed`",
      });
  }
  let checkpoint: (NonNullable<CheckedTrain["checkpoint"]> & { everySpan?: Span }) | undefined;
  let badPath = false;
  const cv = f.get("checkpoint")?.value;
  if (cv) {
    if (cv.kind !== "record")
      ctx.report({
        code: "MM2009",
        message: '`checkpoint` must be a record `{ every: N, dir: "..." }`',
        span: cv.span,
        help: 'write `checkpoint: { every: 100, dir: "runs/name" }`',
      });
    else {
      const c = record(ctx, "checkpoint", cv.body, ["every", "dir", "keep"]);
      const every = c.get("every")
        ? num(ctx, "checkpoint.every", c.get("every")!.value, {
            int: true,
            min: 1,
            limit: LIMITS.steps,
          })
        : 100;
      const dv = c.get("dir")?.value;
      const dir = dv?.kind === "string" ? dv.value : `runs/${decl.name.text}`;
      // The folder stays as written (relative to the spec); only its form is checked here.
      if (dv?.kind === "string" && specPath(ctx, dv, module.path, "`checkpoint.dir`") === undefined)
        badPath = true;
      if (dv && dv.kind !== "string")
        ctx.report({
          code: "MM2009",
          message: "`checkpoint.dir` must be a string",
          span: dv.span,
          help: 'write `dir: "runs/name"`',
        });
      const keep = c.get("keep")
        ? num(ctx, "checkpoint.keep", c.get("keep")!.value, { int: true, min: 1 })
        : DEFAULT_CHECKPOINT_KEEP;
      const everySpan = c.get("every")?.value.span;
      if (every !== undefined && keep !== undefined)
        checkpoint = { every, dir, keep, ...(everySpan ? { everySpan } : {}) };
    }
  }
  let evalCfg: CheckedTrain["eval"] = {
    every: 100,
    batches: 4,
  };
  let evalFields: ReadonlyMap<string, Field> | undefined;
  const ev = f.get("eval")?.value;
  if (ev) {
    if (ev.kind !== "record")
      ctx.report({
        code: "MM2009",
        message: "`eval` must be a record `{ every: N, batches: N }`",
        span: ev.span,
        help: "write `eval: { every: 50, batches: 4 }`",
      });
    else {
      const e = record(ctx, "eval", ev.body, ["every", "batches", ...EVAL_TASK_KINDS]);
      evalFields = e;
      const tasks = checkEvalTasks(ctx, e, posix.dirname(module.path));
      const every = e.get("every")
        ? num(ctx, "eval.every", e.get("every")!.value, {
            int: true,
            min: 1,
            limit: LIMITS.steps,
          })
        : 100;
      const batches = e.get("batches")
        ? num(ctx, "eval.batches", e.get("batches")!.value, {
            int: true,
            min: 1,
            limit: LIMITS.evalBatches,
          })
        : 4;
      if (every !== undefined && batches !== undefined && tasks !== undefined)
        evalCfg = {
          every,
          batches,
          ...(tasks.length > 0 ? { tasks } : {}),
          ...(tasks[0] && e.get(tasks[0].name) ? { tasksSpan: e.get(tasks[0].name)!.span } : {}),
        };
    }
  }

  const data: CheckedData | undefined =
    dataRef?.sym.decl?.kind === "data" ? dataFor(ctx, dataRef.sym) : undefined;
  let draft: ModelDraft | undefined = modelRef ? modelDraft(ctx, modelRef.sym) : undefined;
  if (draft && (modelRef?.body || extra.model)) {
    draft = cloneDraft(draft);
    if (modelRef?.body) applyMembers(ctx, module, draft, modelRef.body.members);
    for (const o of extra.model ?? [])
      applyMembers(ctx, module, draft, [
        { kind: "field", path: o.path, value: o.value, span: o.span },
      ]);
  }
  const sequenceField = f.get("sequence");
  // Unwritten, the llm's `context` is its kind's default (the Decoder's schema holds it).
  const llmContext = draft?.parts.llm?.config["context"] ?? fixedDefault(decoder.fields, "context");
  const sequence = sequenceField
    ? num(ctx, "sequence", sequenceField.value, { int: true, min: 1, limit: LIMITS.context })
    : typeof llmContext === "number"
      ? llmContext
      : undefined;
  if (
    !draft ||
    !data ||
    steps === undefined ||
    batch === undefined ||
    sequence === undefined ||
    seed === undefined ||
    !opt ||
    !sched ||
    logEvery === undefined ||
    badPath
  )
    return undefined;

  // A model that fails on its own was reported where it is declared; only train-specific problems
  // here. Overrides (`model: Small { connector.tokens: 10 }`, a sweep point's) are the train's own:
  // when they break the model, that is reported at them, never dropped.
  const declared = modelRef ? modelDraft(ctx, modelRef.sym) : undefined;
  const declaredOk = declared !== undefined && composeDraft(declared)?.ok === true;
  const alone = composeDraft(draft);
  if (!alone) return undefined;
  if (!alone.ok) {
    if (declaredOk) {
      const notes = [
        `in the model overrides of \`train ${extra.name ?? decl.name.text}\`; \`model ${draft.name}\` alone is valid`,
      ];
      for (const p of alone.problems) reportProblem(ctx, draft, p, notes);
    }
    return undefined;
  }
  const composed = composeDraft(draft, data.imagesPerSequence);
  if (!composed) return undefined;
  const where = [
    `in \`train ${extra.name ?? decl.name.text}\`, with \`data ${data.name}\` (${imagesCount(data.imagesPerSequence)} per sequence)`,
  ];
  if (!composed.ok) {
    const ips = dataFieldSpan(ctx, dataRef!.sym, "images_per_sequence");
    const outside = new Map(
      ips
        ? [
            [
              "images_per_sequence",
              {
                span: ips,
                label: `${imagesCount(data.imagesPerSequence)} per sequence in \`data ${data.name}\``,
              },
            ],
          ]
        : [],
    );
    for (const p of composed.problems) reportProblem(ctx, draft, p, where, outside);
    return undefined;
  }
  const context = composed.parts.llm.config["context"];
  if (typeof context === "number" && sequence > context) {
    ctx.report({
      code: "MM5001",
      message: `\`sequence\` ${sequence} is longer than the language model's \`context\` ${context}`,
      span: sequenceField?.value.span ?? own.name.span,
      secondary: spanPair(draft, "llm.context"),
      help: `use \`sequence: ${context}\` or less, or raise \`llm.context\``,
    });
    return undefined;
  }
  const imageTokens = composed.imageTokens * data.imagesPerSequence;
  if (imageTokens >= sequence && data.sources.some((s) => s.kind !== "text")) {
    ctx.report({
      code: "MM5002",
      message:
        data.imagesPerSequence === 1
          ? `one image of ${composed.imageTokens} tokens leaves no room for text in a sequence of ${sequence}`
          : `${data.imagesPerSequence} images of ${composed.imageTokens} tokens (${imageTokens}) leave no room for text in a sequence of ${sequence}`,
      span: sequenceField?.value.span ?? own.name.span,
      ...(composed.encoderPasses > 1
        ? {
            notes: [
              `a tiled image takes up to ${composed.encoderPasses} encoder passes (the largest grid's crops and the overview) of ${composed.tokensPerCrop} tokens each`,
            ],
          }
        : {}),
      help: `use a longer \`sequence\`, fewer \`images_per_sequence\` in \`data ${data.name}\`, or fewer connector tokens${composed.encoderPasses > 1 ? " or smaller grids" : ""}`,
    });
    return undefined;
  }
  if (checkpoint && checkpoint.every > steps) {
    ctx.report({
      code: "MM5004",
      severity: "warning",
      message: `checkpoints every ${checkpoint.every} steps, but the run has only ${steps}: only the final checkpoint is written`,
      span: checkpoint.everySpan ?? f.get("checkpoint")!.value.span,
      help: `write \`every: ${Math.max(1, Math.floor(steps / 2))}\` or less, or remove \`checkpoint\` to keep only the final weights`,
    });
  }
  // The byte tokenizer's ids are the 256 bytes plus BOS, EOS, PAD and IMAGE (see docs/data.md).
  const vocab = composed.parts.llm.config["vocab"];
  if (data.tokenizer.kind === "bytes" && typeof vocab === "number" && vocab < BYTE_VOCAB) {
    ctx.report({
      code: "MM5005",
      message: `the language model's \`vocab\` ${vocab} is smaller than the byte tokenizer's ${BYTE_VOCAB} ids`,
      span: spanPair(draft, "llm.vocab")[0]?.span ?? f.get("data")?.value.span ?? own.name.span,
      secondary: f.get("data")
        ? [
            {
              span: f.get("data")!.value.span,
              message: `\`data ${data.name}\` uses \`tokenizer: bytes\``,
            },
          ]
        : [],
      notes: ["byte-level ids are the 256 byte values and 4 special tokens (BOS, EOS, PAD, IMAGE)"],
      help: `write \`vocab: ${BYTE_VOCAB}\` or more`,
    });
    return undefined;
  }
  // A tokenizer.json's ids, special tokens mmc appends included (the run would index past the
  // embedding otherwise, an internal error then). Read through the host; unreadable: the run says.
  const bpe =
    data.tokenizer.kind === "bpe" ? ctx.files.tokenizerIds?.(data.tokenizer.path) : undefined;
  if (bpe && typeof vocab === "number" && vocab < bpe.ids) {
    const appended = bpe.appended.length;
    const file = data.tokenizer.kind === "bpe" ? data.tokenizer.path : "";
    ctx.report({
      code: "MM5005",
      message: `the language model's \`vocab\` ${vocab} is smaller than the tokenizer's ${bpe.ids} ids`,
      span: spanPair(draft, "llm.vocab")[0]?.span ?? f.get("data")?.value.span ?? own.name.span,
      secondary: data.spans?.tokenizer
        ? [{ span: data.spans.tokenizer, message: `this tokenizer gives ids up to ${bpe.ids - 1}` }]
        : [],
      notes: [
        appended === 0
          ? `\`${file}\` holds ${bpe.inFile} ids`
          : `\`${file}\` holds ${bpe.inFile} ids, and mmc appends ${appended === 1 ? "the special token" : `${appended} special tokens`} it lacks (${bpe.appended.join(", ")})`,
      ],
      help: `write \`vocab: ${bpe.ids}\` or more`,
    });
    return undefined;
  }
  if (evalCfg.tasks && evalFields && typeof context === "number")
    checkEvalFits(ctx, evalCfg.tasks, evalFields, composed.imageTokens, context);
  const trainName = extra.name ?? decl.name.text;
  const fv = f.get("freeze")?.value;
  const freeze = fv ? checkFreeze(ctx, fv, composed, draft.name, trainName) : undefined;
  const iv = f.get("init")?.value;
  const init = iv
    ? checkInit(
        ctx,
        module,
        iv,
        { name: own.name, trainName, dir: checkpoint?.dir ?? `runs/${trainName}` },
        composed,
        draft.name,
        (sym, earlier) =>
          ctx.once("stage", sym, () => checkTrain(ctx, ctx.moduleOf(sym) ?? module, earlier)),
      )
    : undefined;
  if ((fv && !freeze) || (iv && !init)) return undefined;
  const memory = composed.trainMemory({
    batch,
    sequence,
    precision,
    ...(freeze ? { trainable: freeze.trainable } : {}),
  });
  const model: CheckedModel = toChecked(draft, composed);
  checkBounds(ctx, draft.bounds, {
    modelName: draft.name,
    summary: composed,
    memory: { train: extra.name ?? decl.name.text, detail: memory, batch, sequence },
  });
  return {
    name: extra.name ?? decl.name.text,
    ...(own.doc ? { doc: own.doc } : decl.doc ? { doc: decl.doc } : {}),
    span: own.span,
    model,
    data,
    steps,
    batch,
    sequence,
    seed,
    precision,
    optimizer: opt,
    schedule: sched,
    ...(checkpoint
      ? { checkpoint: { every: checkpoint.every, dir: checkpoint.dir, keep: checkpoint.keep } }
      : {}),
    eval: evalCfg,
    logEvery,
    memory,
    ...(freeze && freeze.paths.length > 0 ? { freeze } : {}),
    ...(init ? { init } : {}),
  };
}

function spanPair(draft: ModelDraft, path: string): { span: Span; message: string }[] {
  const [part, ...rest] = path.split(".");
  const s = draft.parts[part as "llm"]?.origins.get(rest.join("."));
  return s ? [{ span: s, message: `\`${path}\` is set here` }] : [];
}

/** Span of the value of a field of a `data` block, following `data B = A { ... }` to its base. */
function dataFieldSpan(
  ctx: CheckContext,
  sym: NonNullable<ReturnType<CheckContext["lookup"]>>,
  field: string,
  depth = 0,
): Span | undefined {
  const decl = sym.decl;
  const module = ctx.moduleOf(sym);
  if (!decl || decl.kind !== "data" || !module || depth > 16) return undefined;
  for (const m of decl.body.members)
    if (m.kind === "field" && pathText(m.path) === field) return m.value.span;
  const base = decl.base ? ctx.lookup(module, decl.base) : undefined;
  return base ? dataFieldSpan(ctx, base, field, depth + 1) : undefined;
}

const dataCache = new WeakMap<object, CheckedData | null>();

/** The checked data mixture of a `data` symbol (memoised, so errors are reported once). */
export function dataFor(
  ctx: CheckContext,
  sym: NonNullable<ReturnType<CheckContext["lookup"]>>,
): CheckedData | undefined {
  const cached = dataCache.get(sym);
  if (cached !== undefined) return cached ?? undefined;
  const module = ctx.moduleOf(sym);
  const decl = sym.decl;
  const result = module && decl && decl.kind === "data" ? checkData(ctx, module, decl) : undefined;
  dataCache.set(sym, result ?? null);
  return result;
}

/**
 * `train long = tiny { steps: 10000 }`: the base train with the variant's fields replacing its
 * own. The base must be in the same file, so every name reads the same in both.
 */
function checkTrainVariant(
  ctx: CheckContext,
  module: Module,
  decl: BlockDecl,
  extra: TrainOverrides,
): CheckedTrain | undefined {
  const base = decl.base!;
  const sym = ctx.lookup(module, base);
  if (!sym) return undefined;
  if (sym.kind !== "train" || sym.decl?.kind !== "train" || ctx.moduleOf(sym) !== module) {
    ctx.report({
      code: "MM2012",
      message:
        sym.kind === "train"
          ? `\`train ${decl.name.text}\` varies \`${base.text}\` from another file; a train variant must vary a train in the same file`
          : `\`train ${decl.name.text}\` varies \`${base.text}\`, which is a ${sym.kind}, not a train`,
      span: base.span,
      help: "a variant is written `train B = A { steps: 100 }` with `A` a train declared in this file",
    });
    return undefined;
  }
  const baseDecl = sym.decl;
  const self = module.declared.get(decl.name.text);
  if (self && !ctx.chain(self, sym, decl.base!.span)) return undefined;
  const own = decl.body.members;
  const later = extra.members ?? [];
  const merged = [
    ...own.filter(
      (m) =>
        !(
          m.kind === "field" &&
          later.some((o) => o.kind === "field" && pathText(o.path) === pathText(m.path))
        ),
    ),
    ...later,
  ];
  return ctx.guard(sym, base.span, () =>
    checkTrain(ctx, module, baseDecl, {
      ...extra,
      members: merged,
      name: extra.name ?? decl.name.text,
      declaredAs: extra.declaredAs ?? decl,
    }),
  );
}
