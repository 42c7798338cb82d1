// TypeScript literal text for checked values: config records, numbers with digit separators.
// Strings, keys and identifiers come from escape.ts, the one place that escapes user text.
import type { ConfigValue } from "../components/types.js";
import { tsKey, tsString } from "./escape.js";

/** `tiny` -> `Tiny`, `pretrain_3b` -> `Pretrain3b`. */
export function pascal(name: string): string {
  return name
    .split(/_+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

/** A number with digit separators. `String` of any number is a valid expression, never user text. */
export function numberLiteral(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 10_000)
    return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "_");
  return String(n);
}

export function valueLiteral(v: ConfigValue | undefined): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") return numberLiteral(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return tsString(v);
  if (Array.isArray(v)) return `[${(v as readonly ConfigValue[]).map(valueLiteral).join(", ")}]`;
  const entries = Object.entries(v as Record<string, ConfigValue>);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, x]) => `${tsKey(k)}: ${valueLiteral(x)}`).join(", ")} }`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
