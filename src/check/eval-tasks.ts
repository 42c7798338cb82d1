// The benchmark tasks of a train's `eval` setting: few-shot captioning (CIDEr-D) and VQA
// (accuracy) on held-out files, with the shot counts, a prompt template, the seed that picks the
// shots and the sample count; checked against the model's context (the shots must fit).
import { posix } from "node:path";
import type { EvalTaskConfig } from "../spec/run-config.js";
import type { Field, Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import { CAPTIONING_SETTINGS, VQA_SETTINGS } from "../spec/settings.js";
import { num, readBlock, readNumber } from "./block.js";

/** A benchmark task as the runtime takes it (src/spec/run-config.ts); paths as the checker gives paths. */
export type CheckedEvalTask = EvalTaskConfig;
export type EvalTaskKind = EvalTaskConfig["kind"];

export const EVAL_TASK_KINDS: readonly EvalTaskKind[] = ["captioning", "vqa"];
export const MAX_SHOTS = 32;
export const DEFAULT_PROMPTS: Readonly<Record<EvalTaskKind, string>> = {
  captioning: "<image>",
  vqa: "<image>Question: {question} Answer: ",
};
const DEFAULT_MAX_TOKENS: Readonly<Record<EvalTaskKind, number>> = { captioning: 32, vqa: 8 };
const PLACEHOLDERS: Readonly<Record<EvalTaskKind, readonly string[]>> = {
  captioning: [],
  vqa: ["question"],
};

function str(ctx: CheckContext, where: string, v: Value | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.kind === "string") return v.value;
  if (v.kind !== "error")
    ctx.report({
      code: "MM2009",
      message: `\`${where}\` must be a string, not ${describeValue(v)}`,
      span: v.span,
      help: `write \`${where.split(".").pop()}: "..."\``,
    });
  return undefined;
}

function shotList(ctx: CheckContext, where: string, v: Value): number[] | undefined {
  if (v.kind !== "list") {
    if (v.kind !== "error")
      ctx.report({
        code: "MM2009",
        message: `\`${where}\` must be a list of shot counts, not ${describeValue(v)}`,
        span: v.span,
        help: "write e.g. `shots: [0, 4, 8]`",
      });
    return undefined;
  }
  const out: number[] = [];
  for (const item of v.items) {
    const n = num(ctx, where, item, { int: true, min: 0, max: MAX_SHOTS });
    if (n === undefined) return undefined;
    if (out.includes(n)) {
      ctx.report({
        code: "MM8001",
        message: `\`${where}\` lists ${n} twice`,
        span: item.span,
        help: "list each shot count once",
      });
      return undefined;
    }
    out.push(n);
  }
  if (out.length === 0) {
    ctx.report({
      code: "MM8001",
      message: `\`${where}\` is empty`,
      span: v.span,
      help: "write e.g. `shots: [0, 4]`",
    });
    return undefined;
  }
  return out;
}

/** The prompt template: at most one `<image>`, and only the kind's `{placeholders}`. */
function template(
  ctx: CheckContext,
  where: string,
  kind: EvalTaskKind,
  field: Field | undefined,
): string | undefined {
  const text = field ? str(ctx, where, field.value) : DEFAULT_PROMPTS[kind];
  if (text === undefined || field === undefined) return text;
  const markers = text.split("<image>").length - 1;
  const unknown = [...text.matchAll(/\{([^{}]*)\}/g)]
    .map((m) => m[1] as string)
    .find((p) => !PLACEHOLDERS[kind].includes(p));
  const missing = PLACEHOLDERS[kind].find((p) => !text.includes(`{${p}}`));
  const problem =
    markers > 1
      ? `has ${markers} \`<image>\` markers, but a sample has one image`
      : unknown !== undefined
        ? `has the placeholder \`{${unknown}}\`, which ${kind} does not fill`
        : missing !== undefined
          ? `has no \`{${missing}}\`, so the model never sees the question`
          : undefined;
  if (problem === undefined) return text;
  ctx.report({
    code: "MM8001",
    message: `the prompt template \`${where}\` ${problem}`,
    span: field.value.span,
    notes: [
      `a ${kind} template has at most one \`<image>\` (where the image goes; before the text without one)${PLACEHOLDERS[kind].length > 0 ? ` and ${PLACEHOLDERS[kind].map((p) => `\`{${p}}\``).join(", ")}` : ""}`,
    ],
    help: `write e.g. \`prompt: ${JSON.stringify(DEFAULT_PROMPTS[kind])}\``,
  });
  return undefined;
}

/** One task, or undefined once its problems are reported. */
function checkTask(
  ctx: CheckContext,
  kind: EvalTaskKind,
  field: Field,
  base: string,
): CheckedEvalTask | undefined {
  const where = `eval.${kind}`;
  const v = field.value;
  if (v.kind !== "record") {
    if (v.kind !== "error")
      ctx.report({
        code: "MM2009",
        message: `\`${where}\` must be a record of the task's settings, not ${describeValue(v)}`,
        span: v.span,
        help:
          kind === "vqa"
            ? 'write `vqa: { questions: "q.json", annotations: "a.json", images: "images", shots: [0, 4] }`'
            : 'write `captioning: { annotations: "captions.json", images: "images", shots: [0, 4] }`',
      });
    return undefined;
  }
  const table = kind === "vqa" ? VQA_SETTINGS : CAPTIONING_SETTINGS;
  const b = readBlock(ctx, where, v.body, table, { path: where });
  const f = b.fields;
  const required = table.filter((s) => s.default.kind === "required").map((s) => s.name);
  let ok = true;
  for (const r of required)
    if (!f.has(r)) {
      ok = false;
      ctx.report({
        code: "MM8001",
        message: `\`${where}\` has no \`${r}\``,
        span: field.path[0]!.span,
        help: `add \`${r}: "..."\` (relative to the spec's folder)`,
      });
    }
  const annotations = str(ctx, `${where}.annotations`, f.get("annotations")?.value);
  const questions = str(ctx, `${where}.questions`, f.get("questions")?.value);
  const images = str(ctx, `${where}.images`, f.get("images")?.value);
  const shotsField = f.get("shots");
  const shots = shotsField ? shotList(ctx, `${where}.shots`, shotsField.value) : [0];
  const prompt = template(ctx, `${where}.prompt`, kind, f.get("prompt"));
  const samples = readNumber(ctx, b, "samples");
  const seed = readNumber(ctx, b, "seed");
  const maxTokens = f.has("max_tokens")
    ? readNumber(ctx, b, "max_tokens")
    : DEFAULT_MAX_TOKENS[kind];
  if (
    !ok ||
    annotations === undefined ||
    images === undefined ||
    (kind === "vqa" && questions === undefined) ||
    shots === undefined ||
    prompt === undefined ||
    samples === undefined ||
    seed === undefined ||
    maxTokens === undefined
  )
    return undefined;
  // written relative to the file that declares the train, like data paths
  const at = (p: string) => (posix.isAbsolute(p) ? p : posix.join(base, p));
  return {
    kind,
    name: kind,
    annotations: at(annotations),
    ...(questions !== undefined ? { questions: at(questions) } : {}),
    images: at(images),
    shots,
    prompt,
    samples,
    seed,
    maxTokens,
  };
}

/** The tasks among the `eval` record's fields (the other fields are train.ts's). */
export function checkEvalTasks(
  ctx: CheckContext,
  fields: ReadonlyMap<string, Field>,
  /** The folder of the file that declares the train. */
  base: string,
): CheckedEvalTask[] | undefined {
  const tasks: CheckedEvalTask[] = [];
  let ok = true;
  for (const kind of EVAL_TASK_KINDS) {
    const field = fields.get(kind);
    if (!field) continue;
    const t = checkTask(ctx, kind, field, base);
    if (t) tasks.push(t);
    else ok = false;
  }
  return ok ? tasks : undefined;
}

/**
 * The largest shot count must leave room to answer: each shot and the query take at least BOS,
 * the image's tokens and EOS, and the answer needs `max_tokens` more.
 */
export function checkEvalFits(
  ctx: CheckContext,
  tasks: readonly CheckedEvalTask[],
  fields: ReadonlyMap<string, Field>,
  imageTokens: number,
  context: number,
): void {
  for (const t of tasks) {
    const most = Math.max(...t.shots);
    const needed = (most + 1) * (imageTokens + 2) + t.maxTokens;
    if (needed <= context) continue;
    const field = fields.get(t.kind);
    const shotsField =
      field?.value.kind === "record"
        ? field.value.body.members.find((m) => m.kind === "field" && m.path[0]?.text === "shots")
        : undefined;
    const fit = Math.max(0, Math.floor((context - t.maxTokens) / (imageTokens + 2)) - 1);
    ctx.report({
      code: "MM8002",
      message: `${most} shots of \`eval.${t.kind}\` do not fit the language model's context ${context}`,
      span: shotsField?.span ?? field?.span ?? field!.path[0]!.span,
      notes: [
        `${most} shots and the query take at least ${most + 1} x (${imageTokens} image tokens + BOS + EOS), and the answer up to ${t.maxTokens} more: ${needed} positions`,
      ],
      help: `use at most ${fit} shots, fewer connector tokens, or a longer \`llm.context\``,
    });
  }
}
