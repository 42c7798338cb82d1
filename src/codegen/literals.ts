// TypeScript literal text for checked values: config records, numbers with digit separators,
// strings, identifiers that are safe to declare.
import type { ConfigValue } from "../components/types.js";

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await".split(
    " ",
  ),
);

/** A `.mm` name as a TypeScript identifier (`.mm` names are already identifiers but for keywords). */
export function identifier(name: string): string {
  return RESERVED.has(name) ? `${name}_` : name;
}

/** `tiny` -> `Tiny`, `pretrain_3b` -> `Pretrain3b`. */
export function pascal(name: string): string {
  return name
    .split(/_+/)
    .filter((p) => p.length > 0)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}

export function numberLiteral(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 10_000)
    return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, "_");
  return String(n);
}

export function stringLiteral(s: string): string {
  return JSON.stringify(s);
}

function key(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : stringLiteral(k);
}

export function valueLiteral(v: ConfigValue | undefined): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") return numberLiteral(v);
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return stringLiteral(v);
  if (Array.isArray(v)) return `[${(v as readonly ConfigValue[]).map(valueLiteral).join(", ")}]`;
  const entries = Object.entries(v as Record<string, ConfigValue>);
  if (entries.length === 0) return "{}";
  return `{ ${entries.map(([k, x]) => `${key(k)}: ${valueLiteral(x)}`).join(", ")} }`;
}

export function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
