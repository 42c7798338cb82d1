// Choosing the next token from the logits: greedy (temperature 0; ties go to the lower id), or
// sampling at a temperature from the top-k and/or the top-p nucleus, drawn from a seeded
// generator so a seed gives the same text on every run and backend (up to float differences).
import type { Prng } from "../data/prng.js";

export interface SamplingOptions {
  /** 0 is greedy. */
  readonly temperature: number;
  /** Keep the k most likely tokens (0 or absent: all). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (absent or 1: all). */
  readonly topP?: number;
}

/**
 * The next token. `allowed[id] = 0` takes an id out (the special tokens that never follow in
 * training's layout, and ids past the tokenizer's vocabulary); some id must be allowed.
 */
export function pickToken(
  logits: ArrayLike<number>,
  o: SamplingOptions,
  rng: Prng,
  allowed: Uint8Array,
): number {
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (allowed[i] === 1) ids.push(i);
  if (ids.length === 0) throw new RangeError("no token is allowed");
  const at = (i: number): number => logits[i] as number;
  if (o.temperature === 0) {
    let best = ids[0] as number;
    for (const i of ids) if (at(i) > at(best)) best = i;
    return best;
  }
  // most likely first; ties by id, so the order (and the draw) does not depend on the sort
  ids.sort((a, b) => at(b) - at(a) || a - b);
  let kept = o.topK !== undefined && o.topK > 0 ? ids.slice(0, o.topK) : ids;
  const top = at(kept[0] as number);
  let weights = kept.map((i) => Math.exp((at(i) - top) / o.temperature));
  let sum = weights.reduce((a, w) => a + w, 0);
  if (o.topP !== undefined && o.topP < 1) {
    let cumulative = 0;
    let n = 0;
    while (n < kept.length && cumulative < o.topP * sum) cumulative += weights[n++] as number;
    kept = kept.slice(0, Math.max(1, n));
    weights = weights.slice(0, kept.length);
    sum = weights.reduce((a, w) => a + w, 0);
  }
  let u = rng.nextFloat() * sum;
  for (let j = 0; j < kept.length; j++) {
    u -= weights[j] as number;
    if (u < 0) return kept[j] as number;
  }
  return kept[kept.length - 1] as number;
}
