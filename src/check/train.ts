// Checking `train` blocks: which model and data, steps, batch, sequence, optimizer, schedule,
// checkpoints; the sequence against the model's context and images; training memory budgets.
import { posix } from "node:path";
import { decoder } from "../components/decoder.js";
import { fixedDefault } from "../components/fields.js";
import type { Precision } from "../components/model.js";
import type { ConfigValue } from "../components/types.js";
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
import { memoryPerDevice } from "../spec/devices.js";
import { defaultNumber, fieldNames } from "../spec/fields.js";
import { CHECKPOINT_SETTINGS, EVAL_SETTINGS, TRAIN_SETTINGS } from "../spec/settings.js";
import { optimizer, schedule } from "./train-options.js";
import { readBlock, readNumber, readWord } from "./block.js";
import { checkFreeze, checkInit } from "./train-stages.js";
import { checkEvalFits, checkEvalTasks } from "./eval-tasks.js";
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

/** Ids of the byte-level tokenizer: 256 bytes and BOS, EOS, PAD, IMAGE. */
export const BYTE_VOCAB = 260;

/** The fields of a `train` block, in the order messages list them (src/spec/settings.ts). */
export const TRAIN_FIELDS = fieldNames(TRAIN_SETTINGS);

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
  const t = readBlock(
    ctx,
    `train ${decl.name.text}`,
    { members, span: decl.body.span },
    TRAIN_SETTINGS,
  );
  const f = t.fields;
  const modelRef = ref(ctx, module, f.get("model")?.value, "model", decl.name);
  const dataRef = ref(ctx, module, f.get("data")?.value, "data", decl.name);
  const steps = readNumber(ctx, t, "steps");
  const batch = readNumber(ctx, t, "batch");
  const seed = readNumber(ctx, t, "seed");
  const logEvery = readNumber(ctx, t, "log_every");
  const devices = readNumber(ctx, t, "devices");
  const opt = optimizer(ctx, f.get("optimizer")?.value);
  const sched = schedule(ctx, f.get("schedule")?.value, steps);
  const precision: Precision = readWord<Precision>(ctx, t, "precision") ?? "fp32";
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
      const c = readBlock(ctx, "checkpoint", cv.body, CHECKPOINT_SETTINGS, { path: "checkpoint" });
      const every = readNumber(ctx, c, "every");
      const dv = c.fields.get("dir")?.value;
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
      const keep = readNumber(ctx, c, "keep");
      const everySpan = c.fields.get("every")?.value.span;
      if (every !== undefined && keep !== undefined)
        checkpoint = { every, dir, keep, ...(everySpan ? { everySpan } : {}) };
    }
  }
  let evalCfg: CheckedTrain["eval"] = {
    every: defaultNumber(EVAL_SETTINGS, "every"),
    batches: defaultNumber(EVAL_SETTINGS, "batches"),
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
      const e = readBlock(ctx, "eval", ev.body, EVAL_SETTINGS, { path: "eval" });
      evalFields = e.fields;
      const tasks = checkEvalTasks(ctx, e.fields, posix.dirname(module.path));
      const every = readNumber(ctx, e, "every");
      const batches = readNumber(ctx, e, "batches");
      if (every !== undefined && batches !== undefined && tasks !== undefined)
        evalCfg = {
          every,
          batches,
          ...(tasks.length > 0 ? { tasks } : {}),
          ...(tasks[0] && e.fields.get(tasks[0].name)
            ? { tasksSpan: e.fields.get(tasks[0].name)!.span }
            : {}),
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
    ? readNumber(ctx, t, "sequence")
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
    devices === undefined ||
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
  const at = sequenceField?.value.span ?? own.name.span;
  if (!sequenceFitsContext(ctx, sequence, context, at, spanPair(draft, "llm.context")))
    return undefined;
  if (!imagesLeaveRoomForText(ctx, composed, data, sequence, at)) return undefined;
  if (!batchSplitsOverDevices(ctx, batch, devices, f)) return undefined;
  if (data.fit === "pad" && draft.tiles) {
    padWithTiles(ctx, draft.tiles.span, dataFieldSpan(ctx, dataRef!.sym, "fit"), data, draft.name);
    return undefined;
  }
  if (checkpoint)
    checkpointsWithinRun(
      ctx,
      checkpoint,
      steps,
      checkpoint.everySpan ?? f.get("checkpoint")!.value.span,
    );
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
  const perDevice = memoryPerDevice(memory, devices, batch);
  const model: CheckedModel = toChecked(draft, composed);
  checkBounds(ctx, draft.bounds, {
    modelName: draft.name,
    summary: composed,
    memory: {
      train: extra.name ?? decl.name.text,
      detail: memory,
      batch,
      sequence,
      devices,
      perDevice,
    },
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
    devices,
    memoryPerDevice: perDevice,
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

// Checks across a train's fields, one rule each.

/** MM5001: a sequence longer than the language model's context. */
function sequenceFitsContext(
  ctx: CheckContext,
  sequence: number,
  context: ConfigValue | undefined,
  at: Span,
  contextSpan: { span: Span; message: string }[],
): boolean {
  if (typeof context !== "number" || sequence <= context) return true;
  ctx.report({
    code: "MM5001",
    message: `\`sequence\` ${sequence} is longer than the language model's \`context\` ${context}`,
    span: at,
    secondary: contextSpan,
    help: `use \`sequence: ${context}\` or less, or raise \`llm.context\``,
  });
  return false;
}

/** MM5002: the images of a sequence take all of it, in a mixture with images. */
function imagesLeaveRoomForText(
  ctx: CheckContext,
  composed: { imageTokens: number; encoderPasses: number; tokensPerCrop: number },
  data: CheckedData,
  sequence: number,
  at: Span,
): boolean {
  const imageTokens = composed.imageTokens * data.imagesPerSequence;
  if (imageTokens < sequence || !data.sources.some((s) => s.kind !== "text")) return true;
  ctx.report({
    code: "MM5002",
    message:
      data.imagesPerSequence === 1
        ? `one image of ${composed.imageTokens} tokens leaves no room for text in a sequence of ${sequence}`
        : `${data.imagesPerSequence} images of ${composed.imageTokens} tokens (${imageTokens}) leave no room for text in a sequence of ${sequence}`,
    span: at,
    ...(composed.encoderPasses > 1
      ? {
          notes: [
            `a tiled image takes up to ${composed.encoderPasses} encoder passes (the largest grid's crops and the overview) of ${composed.tokensPerCrop} tokens each`,
          ],
        }
      : {}),
    help: `use a longer \`sequence\`, fewer \`images_per_sequence\` in \`data ${data.name}\`, or fewer connector tokens${composed.encoderPasses > 1 ? " or smaller grids" : ""}`,
  });
  return false;
}

/** MM5004 (a warning): checkpoints less often than the run is long. */
function checkpointsWithinRun(
  ctx: CheckContext,
  checkpoint: { readonly every: number },
  steps: number,
  at: Span,
): void {
  if (checkpoint.every <= steps) return;
  ctx.report({
    code: "MM5004",
    severity: "warning",
    message: `checkpoints every ${checkpoint.every} steps, but the run has only ${steps}: only the final checkpoint is written`,
    span: at,
    help: `write \`every: ${Math.max(1, Math.floor(steps / 2))}\` or less, or remove \`checkpoint\` to keep only the final weights`,
  });
}

/**
 * MM5021: `fit: pad` with a tiled model. LLaVA-1.5's pad and LLaVA-NeXT's tiles are two different
 * preprocessings (`image_aspect_ratio: pad` or `anyres`); a tiled image is already padded to its
 * grid, and its overview is stretched as LLaVA-NeXT's is, so `fit` has nothing to apply to.
 */
function padWithTiles(
  ctx: CheckContext,
  tiles: Span,
  fit: Span | undefined,
  data: CheckedData,
  model: string,
): void {
  ctx.report({
    code: "MM5021",
    message: `\`data ${data.name}\` pads images to a square (\`fit: pad\`), but \`model ${model}\` tiles them`,
    span: fit ?? tiles,
    secondary: fit ? [{ span: tiles, message: "the model's `tiles`" }] : [],
    notes: [
      "a tiled image is resized and padded with black to its grid, and its overview is stretched, as LLaVA-NeXT does; `fit: pad` is LLaVA-1.5's preprocessing for untiled images",
    ],
    help: "remove `fit: pad` from the data block (or use it with a model without `tiles`)",
  });
}

/** MM5020: a batch that does not split evenly over the train's `devices`. */
function batchSplitsOverDevices(
  ctx: CheckContext,
  batch: number,
  devices: number,
  f: ReadonlyMap<string, Field>,
): boolean {
  if (batch % devices === 0) return true;
  const lower = batch - (batch % devices);
  const span = f.get("devices")!.value.span;
  const batchField = f.get("batch");
  ctx.report({
    code: "MM5020",
    message: `\`batch\` ${batch} does not split evenly over \`devices: ${devices}\``,
    span,
    secondary: batchField
      ? [{ span: batchField.value.span, message: `${batch} sequences per step` }]
      : [],
    notes: ["each device trains on `batch / devices` sequences per step"],
    help: `use a \`batch\` that is a multiple of ${devices} (${lower > 0 ? `${lower} or ` : ""}${lower + devices}), or a \`devices\` count that divides ${batch}`,
  });
  return false;
}
