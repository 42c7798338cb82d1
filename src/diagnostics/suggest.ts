// "Did you mean" suggestions: the closest candidate by edit distance, if it is close enough.

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(rows - 1, cols - 1);
}

/** `bias` and `biases`, `head` and `heads`: one is the other with a plural ending. */
function pluralOf(a: string, b: string): boolean {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  return t === `${s}s` || t === `${s}es` || s === `${t}s` || s === `${t}es`;
}

/**
 * The best candidate within a distance that grows with the word's length, or undefined. A
 * singular or plural form of the word (`bias` for `biases`) counts as close as a one-letter slip.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const dist = editDistance(word, c);
    const caseOnly = c.toLowerCase() === word.toLowerCase();
    const score = caseOnly ? 0.5 : pluralOf(word, c) ? Math.min(dist, 1) : dist;
    if (score <= limit && score < bestDistance) {
      best = c;
      bestDistance = score;
    }
  }
  return best;
}

/** `did you mean \`x\`?` phrasing for a help line, or undefined when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const s = suggest(word, candidates);
  return s === undefined ? undefined : `did you mean \`${s}\`?`;
}
