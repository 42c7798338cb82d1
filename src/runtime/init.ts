// Seeded, backend-independent parameter initialisation: each tensor's values come from a
// generator seeded by (run seed, tensor name), so they do not depend on creation order or backend.
import type { TensorInit } from "../components/types.js";

/** Standard deviation of `normal` tensors (GPT-2's choice). */
export const INIT_STD = 0.02;

/** FNV-1a over the name, mixed with the seed: one 32-bit seed per tensor. */
export function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: tiny, fast and good enough for initial weights. Returns floats in [0, 1). */
export function uniformStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values for one tensor: zeros, ones, or N(0, std^2) by Box-Muller. */
export function initValues(
  init: TensorInit,
  size: number,
  seed: number,
  name: string,
  std = INIT_STD,
): Float32Array {
  const out = new Float32Array(size);
  if (init === "zeros") return out;
  if (init === "ones") return out.fill(1);
  const next = uniformStream(tensorSeed(seed, name));
  for (let i = 0; i < size; i += 2) {
    const u1 = 1 - next();
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < size) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
