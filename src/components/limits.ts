// The largest sizes mmc accepts, each with the reason a real run never needs more. They keep
// every count finite and exact (below 2^53), and they are far past any published model, so a
// value over one is a typo or a hostile file, never a real design.

/** An upper bound and why it is there, for the message that refuses a larger value. */
export interface Limit {
  readonly max: number;
  readonly why: string;
}

/** 2^53 - 1: the largest whole number a double holds exactly; every integer field stays below. */
export const MAX_WHOLE = Number.MAX_SAFE_INTEGER;

export const LIMITS = {
  width: { max: 2 ** 18, why: "the widest published transformers are about 20,000 wide" },
  depth: { max: 4096, why: "the deepest published transformers have about 1,000 layers" },
  heads: { max: 16384, why: "published models use at most a few hundred heads" },
  headDim: { max: 65536, why: "published heads are 64 to 256 wide" },
  hidden: { max: 2 ** 20, why: "the widest published MLPs have under 100,000 hidden units" },
  vocab: { max: 2 ** 24, why: "the largest published vocabularies have about 256,000 tokens" },
  context: { max: 2 ** 24, why: "the longest published contexts are about 10 million tokens" },
  tokens: {
    max: 2 ** 24,
    why: "image tokens must fit in a context, and mmc accepts contexts up to 16,777,216",
  },
  patch: { max: 65536, why: "no image side mmc accepts is larger" },
  classes: { max: 2 ** 24, why: "the largest published label sets have about 30,000 classes" },
  experts: {
    max: 2 ** 20,
    why: "the largest published MoE layers have about a million (tiny) experts",
  },
  capacity: {
    max: 2 ** 20,
    why: "a factor of `experts` / `top_k` already keeps every token, and mmc accepts at most 1,048,576 experts",
  },
  imageChannels: { max: 1024, why: "images have a few channels, multispectral ones a few hundred" },
  imageSide: { max: 65536, why: "a 65,536-pixel side is already a 4-gigapixel image" },
  steps: { max: 2 ** 40, why: "2^40 steps at a millisecond each take 35 years" },
  batch: { max: 2 ** 24, why: "published batches are at most tens of thousands of sequences" },
  evalBatches: { max: 2 ** 24, why: "an evaluation that long never ends in a real run" },
  normEps: {
    max: 1,
    why: "published norms add 1e-12 to 1e-5; an eps near 1, the variance of unit-scale activations, would stop the norm from normalising",
  },
  seed: {
    max: 2 ** 32 - 1,
    why: "the seed is a 32-bit number: larger seeds would repeat smaller ones",
  },
} as const satisfies Record<string, Limit>;

/** `4096` or `262,144`: limits in messages, grouped when long. */
export function limitText(n: number): string {
  return n < 10000 ? String(n) : n.toLocaleString("en-US");
}

/** "`depth` 1000000 is more than 4096, the most mmc accepts (the deepest ... layers)". */
export function overLimitMessage(path: string, value: number, limit: Limit): string {
  return `\`${path}\` ${value} is more than ${limitText(limit.max)}, the most mmc accepts (${limit.why})`;
}

/** Why whole numbers stop at 2^53 - 1, for fields without a tighter limit. */
export const WHOLE_LIMIT: Limit = {
  max: MAX_WHOLE,
  why: "whole numbers past 2^53 - 1 are not exact",
};
