// A small bounded memo keyed by a component's resolved config: the weight manifest of a part is
// a pure function of its kind and config, and building it (thousands of named tensors for a
// large model) was most of a check's time. A language server re-checks on every keystroke, and
// a file's variants share their base's parts, so most lookups hit.
import type { Config, ConfigValue } from "./types.js";

/**
 * A text that two configs share exactly when they hold the same values (field order aside).
 * Every part of every check computes one (a hit must still make its key), so it is built with
 * plain loops and the quoted field names are kept: it was a sixth of a check's time.
 */
export function configKey(v: ConfigValue | undefined): string {
  if (v === undefined) return "u";
  if (typeof v === "number") return Object.is(v, -0) ? "n-0" : `n${v}`;
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = "[";
    for (let i = 0; i < v.length; i++) s += (i === 0 ? "" : ",") + configKey(v[i] as ConfigValue);
    return `${s}]`;
  }
  const o = v as Config;
  const keys = Object.keys(o).sort();
  let s = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    let q = QUOTED.get(k);
    if (q === undefined) {
      q = JSON.stringify(k);
      if (QUOTED.size < 4096) QUOTED.set(k, q);
    }
    s += `${i === 0 ? "" : ","}${q}:${configKey(o[k])}`;
  }
  return `${s}}`;
}

/** Field names as JSON strings (a few dozen in all; bounded, since a spec's names could be many). */
const QUOTED = new Map<string, string>();

/** Least recently used entries go first once `limit` is reached. */
export class Memo<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit: number) {}

  get(key: string, make: () => T): T {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = make();
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }
}
