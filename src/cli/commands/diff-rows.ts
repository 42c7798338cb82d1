// What `mmc diff` compares, as data: the derived numbers of a model or train from the checker's
// IR (shapes, parameters per part, active, FLOPs, image tokens, training memory) and every
// resolved config field, flattened to dotted paths. Pure; diff.ts prints it.
import type { CheckedModel, CheckedTrain } from "../../check/ir.js";
import type { Config, ConfigValue, MlpValue } from "../../components/types.js";

export type Value = number | string | boolean | readonly Value[] | null;

/** How a derived number is shown: exact count, FLOPs, bytes, or as is. */
export type Unit = "count" | "flops" | "bytes" | "plain";

export interface DerivedRow {
  readonly path: string;
  readonly a: Value;
  readonly b: Value;
  readonly unit: Unit;
}

export interface FieldRow {
  readonly path: string;
  readonly a: Value;
  readonly b: Value;
}

export type Subject =
  | { readonly kind: "model"; readonly model: CheckedModel }
  | { readonly kind: "train"; readonly train: CheckedTrain };

function isMlp(v: ConfigValue): v is MlpValue {
  return (
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).length === 2 &&
    typeof (v as { fn?: unknown }).fn === "string" &&
    typeof (v as { hidden?: unknown }).hidden === "number"
  );
}

function plainValue(v: ConfigValue): Value {
  if (Array.isArray(v)) return v.map(plainValue);
  if (typeof v === "object") return isMlp(v) ? `${v.fn}(${v.hidden})` : JSON.stringify(v);
  return v as Value;
}

/** A config's fields as dotted paths; nested component configs (`moe`) are flattened too. */
export function flattenConfig(prefix: string, config: Config, out: Map<string, Value>): void {
  for (const [key, v] of Object.entries(config)) {
    const path = `${prefix}.${key}`;
    if (typeof v === "object" && !Array.isArray(v) && !isMlp(v))
      flattenConfig(path, v as Config, out);
    else out.set(path, plainValue(v));
  }
}

const PARTS = ["vision", "connector", "llm"] as const;

function modelFields(m: CheckedModel, prefix: string): Map<string, Value> {
  const out = new Map<string, Value>();
  out.set(`${prefix}image`, m.image ? [...m.image] : null);
  for (const part of PARTS) {
    const s = m.summary.parts[part];
    out.set(`${prefix}${part}`, s ? s.kind : null);
    if (s) flattenConfig(`${prefix}${part}`, s.config, out);
  }
  return out;
}

function trainFields(t: CheckedTrain): Map<string, Value> {
  const out = new Map<string, Value>();
  out.set("model", t.model.name);
  out.set("data", t.data.name);
  for (const s of t.data.sources) {
    out.set(`data.${s.name}`, `${s.format}("${s.path}")`);
    out.set(`data.${s.name}.weight`, Number(s.weight.toPrecision(6)));
  }
  out.set("data.images_per_sequence", t.data.imagesPerSequence);
  out.set("data.weighting", t.data.weighting);
  out.set("data.resize", t.data.resize ?? "auto");
  out.set("data.fit", t.data.fit ?? "crop");
  out.set(
    "data.tokenizer",
    t.data.tokenizer.kind === "bpe" ? `bpe("${t.data.tokenizer.path}")` : "bytes",
  );
  out.set(
    "data.heldout",
    t.data.heldout ? `${t.data.heldout.format}("${t.data.heldout.path}")` : null,
  );
  out.set("steps", t.steps);
  out.set("batch", t.batch);
  out.set("sequence", t.sequence);
  out.set("seed", t.seed);
  out.set("precision", t.precision);
  const o = t.optimizer;
  out.set("optimizer", o.kind);
  out.set("optimizer.lr", o.lr);
  out.set("optimizer.betas", [...o.betas]);
  out.set("optimizer.weight_decay", o.weightDecay);
  out.set("optimizer.eps", o.eps);
  out.set("optimizer.clip", o.clip);
  out.set("schedule", t.schedule.kind);
  out.set("schedule.warmup", t.schedule.warmup);
  out.set("schedule.final", t.schedule.final);
  out.set("checkpoint.every", t.checkpoint?.every ?? null);
  out.set("checkpoint.dir", t.checkpoint?.dir ?? null);
  out.set("eval.every", t.eval.every);
  out.set("eval.batches", t.eval.batches);
  out.set("log_every", t.logEvery);
  for (const [k, v] of modelFields(t.model, "model.")) out.set(k, v);
  return out;
}

function same(a: Value, b: Value): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every resolved config field that differs, in a stable order (A's fields, then B's new ones). */
export function fieldRows(a: Subject, b: Subject): FieldRow[] {
  const fa = a.kind === "model" ? modelFields(a.model, "") : trainFields(a.train);
  const fb = b.kind === "model" ? modelFields(b.model, "") : trainFields(b.train);
  const paths = [...fa.keys(), ...[...fb.keys()].filter((k) => !fa.has(k))];
  // Under a part that one side lacks (`vision: ViT -> none`), the part's row says it all.
  const partGone = (path: string): boolean =>
    PARTS.some((p) => {
      const key = path.startsWith("model.") ? `model.${p}` : p;
      return (
        path.startsWith(`${key}.`) &&
        ((fa.get(key) ?? null) === null || (fb.get(key) ?? null) === null)
      );
    });
  return paths.flatMap((path) => {
    const va = fa.get(path) ?? null;
    const vb = fb.get(path) ?? null;
    return same(va, vb) || partGone(path) ? [] : [{ path, a: va, b: vb }];
  });
}

function shape(tokens: number, width: number): Value {
  return [tokens, width];
}

function modelDerived(m: CheckedModel): Map<string, [Value, Unit]> {
  const s = m.summary;
  const out = new Map<string, [Value, Unit]>();
  for (const part of PARTS) {
    const p = s.parts[part];
    out.set(`${part}.output`, [p ? shape(p.output.tokens, p.output.width) : null, "plain"]);
    out.set(`${part}.params`, [p?.params ?? null, "count"]);
    out.set(`${part}.active_params`, [p?.activeParams ?? null, "count"]);
    out.set(`${part}.flops_per_${p?.flopsUnit ?? (part === "llm" ? "token" : "image")}`, [
      p?.flops ?? null,
      "flops",
    ]);
  }
  out.set("params", [s.params, "count"]);
  out.set("active_params", [s.activeParams, "count"]);
  out.set("image_tokens", [s.imageTokens, "count"]);
  out.set("images_per_sequence", [s.imagesPerSequence, "count"]);
  out.set("flops_per_token", [s.flopsPerToken, "flops"]);
  out.set("flops_per_image", [s.flopsPerImage, "flops"]);
  return out;
}

function trainDerived(t: CheckedTrain): Map<string, [Value, Unit]> {
  const out = modelDerived(t.model);
  out.set("tokens_per_step", [t.batch * t.sequence, "count"]);
  out.set("train_tokens", [t.steps * t.batch * t.sequence, "count"]);
  const m = t.memory;
  out.set("train_memory.weights", [m.weights, "bytes"]);
  out.set("train_memory.gradients", [m.gradients, "bytes"]);
  out.set("train_memory.optimizer", [m.optimizer, "bytes"]);
  out.set("train_memory.activations", [m.activations, "bytes"]);
  out.set("train_memory.total", [m.total, "bytes"]);
  return out;
}

/** Every derived number of both sides, equal or not, in a stable order. */
export function derivedRows(a: Subject, b: Subject): DerivedRow[] {
  const da = a.kind === "model" ? modelDerived(a.model) : trainDerived(a.train);
  const db = b.kind === "model" ? modelDerived(b.model) : trainDerived(b.train);
  const paths = [...da.keys(), ...[...db.keys()].filter((k) => !da.has(k))];
  return paths.map((path) => {
    const [va, unit] = da.get(path) ?? [null, db.get(path)?.[1] ?? "plain"];
    const vb = db.get(path)?.[0] ?? null;
    return { path, a: va, b: vb, unit };
  });
}

export function changed(r: { a: Value; b: Value }): boolean {
  return !same(r.a, r.b);
}
