// A sweep point's fingerprint: sha256 over a canonical JSON of what trains (the resolved model
// and train, after overrides and `--steps`), so a re-run can tell exactly which points changed.
// Names, docs and spans are left out: renaming a model or moving a line changes no training.
import { createHash } from "node:crypto";
import type { CheckedTrain } from "../check/ir.js";

/** JSON with object keys sorted at every level and `undefined` fields dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) return JSON.stringify(String(value));
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== "function")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** `value` without its source locations (`span`, `spans`, `everySpan`, ...), at every level. */
function withoutSpans(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withoutSpans);
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => k !== "span" && k !== "spans" && !k.endsWith("Span"))
      .map(([k, v]) => [k, withoutSpans(v)]),
  );
}

/** What a point trains, without names, docs, spans or its checkpoint folder. */
export function resolvedConfig(train: CheckedTrain, steps: number): unknown {
  const { name: _dataName, ...data } = train.data;
  return withoutSpans({
    fingerprint: 1,
    // `tiles` only when set, so untiled points keep the fingerprints they had before it existed
    model: {
      image: train.model.image,
      ...(train.model.tiles ? { tiles: train.model.tiles } : {}),
      parts: train.model.parts,
    },
    data,
    steps,
    batch: train.batch,
    sequence: train.sequence,
    seed: train.seed,
    precision: train.precision,
    optimizer: train.optimizer,
    schedule: train.schedule,
    eval: train.eval,
  });
}

export function fingerprint(train: CheckedTrain, steps: number): string {
  const hash = createHash("sha256").update(canonicalJson(resolvedConfig(train, steps)));
  return `sha256:${hash.digest("hex")}`;
}
