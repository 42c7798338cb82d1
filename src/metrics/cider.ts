// CIDEr-D exactly as the COCO caption evaluation computes it (pycocoevalcap's cider_scorer.py):
// tf-idf vectors of 1- to 4-grams with document frequencies from the evaluated set's references,
// clipped cosine similarity, a Gaussian length penalty (sigma 6), x10. Definitions: docs/eval.md.
import { ptbTokenizeCaptions } from "./ptb-tokenize.js";
import { py3Split } from "./python-text.js";

export interface CiderOptions {
  /** Longest n-gram. Default 4. */
  n?: number;
  /** Standard deviation of the length penalty. Default 6. */
  sigma?: number;
}

export interface CiderResult {
  /** The corpus score: the mean of `scores`. */
  score: number;
  /** One score per image, in input order. */
  scores: number[];
}

/** N-gram counts in first-seen order (1-grams, then 2-grams, ...), as the reference's dict. */
type Counts = Map<string, { n: number; count: number }>;

/** `precook`: the n-grams of a whitespace-split sentence. */
export function ngramCounts(sentence: string, n = 4): Counts {
  const words = py3Split(sentence);
  const counts: Counts = new Map();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      // The separator cannot occur inside a whitespace-split word.
      const key = words.slice(i, i + k).join(" ");
      const entry = counts.get(key);
      if (entry) entry.count++;
      else counts.set(key, { n: k, count: 1 });
    }
  }
  return counts;
}

interface Vector {
  /** Per n-gram length: n-gram to tf-idf weight. */
  vec: Map<string, number>[];
  norm: number[];
  /** The reference counts the 2-grams (its `n == 1` is the index of length 2), not the words. */
  length: number;
}

/**
 * CIDEr-D for each image: `hypotheses[i]` scored against `references[i]`. All sentences must be
 * tokenized already (pycocoevalcap runs its PTB tokenizer first: `ptbTokenizeCaptions`).
 */
export function ciderD(
  references: readonly (readonly string[])[],
  hypotheses: readonly string[],
  options: CiderOptions = {},
): CiderResult {
  const n = options.n ?? 4;
  const sigma = options.sigma ?? 6;
  if (references.length !== hypotheses.length)
    throw new RangeError(
      `ciderD needs one hypothesis per image: ${hypotheses.length} hypotheses for ${references.length} images`,
    );
  if (references.length === 0) throw new RangeError("ciderD needs at least one image");
  references.forEach((refs, i) => {
    if (refs.length === 0) throw new RangeError(`image ${i} has no reference captions`);
  });
  const crefs = references.map((refs) => refs.map((r) => ngramCounts(r, n)));
  const ctest = hypotheses.map((h) => ngramCounts(h, n));

  // Document frequency: in how many images' reference sets each n-gram occurs.
  const df = new Map<string, number>();
  for (const refs of crefs) {
    const seen = new Set<string>();
    for (const ref of refs) for (const key of ref.keys()) seen.add(key);
    for (const key of seen) df.set(key, (df.get(key) ?? 0) + 1);
  }
  const refLen = Math.log(crefs.length);

  const toVector = (counts: Counts): Vector => {
    const vec = Array.from({ length: n }, () => new Map<string, number>());
    const sq = new Array<number>(n).fill(0);
    let length = 0;
    for (const [key, { n: k, count }] of counts) {
      // An n-gram that no reference has counts as occurring in one image.
      const logDf = Math.log(Math.max(1, df.get(key) ?? 0));
      const w = count * (refLen - logDf);
      (vec[k - 1] as Map<string, number>).set(key, w);
      sq[k - 1] = (sq[k - 1] as number) + w ** 2;
      if (k === 2) length += count;
    }
    return { vec, norm: sq.map(Math.sqrt), length };
  };

  const sim = (hyp: Vector, ref: Vector): number[] => {
    const delta = hyp.length - ref.length;
    const penalty = Math.pow(Math.E, -(delta ** 2) / (2 * sigma ** 2));
    const val = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      const refVec = ref.vec[k] as Map<string, number>;
      let v = 0;
      for (const [key, w] of hyp.vec[k] as Map<string, number>) {
        const r = refVec.get(key) ?? 0;
        v += Math.min(w, r) * r;
      }
      const nh = hyp.norm[k] as number;
      const nr = ref.norm[k] as number;
      if (nh !== 0 && nr !== 0) v /= nh * nr;
      val[k] = v * penalty;
    }
    return val;
  };

  const scores = ctest.map((test, i) => {
    const hyp = toVector(test);
    const refs = crefs[i] as Counts[];
    const sum = new Array<number>(n).fill(0);
    for (const ref of refs) {
      const s = sim(hyp, toVector(ref));
      for (let k = 0; k < n; k++) sum[k] = (sum[k] as number) + (s[k] as number);
    }
    let avg = numpyMean(sum);
    avg /= refs.length;
    return avg * 10;
  });
  return { score: numpyMean(scores), scores };
}

export interface CaptionImage {
  /** The human captions, as written. */
  references: readonly string[];
  /** The caption being scored, as written. */
  hypothesis: string;
}

/**
 * CIDEr-D the way COCOEvalCap runs it on raw captions: all references tokenized together (image
 * by image, in order), all hypotheses together, then `ciderD`.
 */
export function cocoCiderD(
  images: readonly CaptionImage[],
  options: CiderOptions = {},
): CiderResult {
  const flat = images.flatMap((im) => im.references);
  const tokenized = ptbTokenizeCaptions(flat);
  let at = 0;
  const references = images.map((im) => tokenized.slice(at, (at += im.references.length)));
  const hypotheses = ptbTokenizeCaptions(images.map((im) => im.hypothesis));
  return ciderD(references, hypotheses, options);
}

/** `np.mean` of a float64 array: numpy's pairwise summation, then one division. */
export function numpyMean(xs: readonly number[]): number {
  return (0 + pairwiseSum(xs, 0, xs.length)) / xs.length;
}

function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= 128) {
    // Eight running sums, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)).
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j] as number;
    const at = (j: number): number => r[j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8)
      for (let j = 0; j < 8; j++) r[j] = at(j) + (a[start + i + j] as number);
    let res = at(0) + at(1) + (at(2) + at(3)) + (at(4) + at(5) + (at(6) + at(7)));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
