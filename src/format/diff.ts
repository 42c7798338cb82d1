// Line diffs between a file and its formatted text, as unified-diff hunks: `mmc fmt --check`
// shows the first one. A longest-common-subsequence diff over the lines that differ.

export interface Hunk {
  /** 1-based first line and line count in the old and the new text. */
  readonly oldStart: number;
  readonly oldLines: number;
  readonly newStart: number;
  readonly newLines: number;
  /** Lines prefixed with " ", "-" or "+". */
  readonly lines: readonly string[];
}

/** Past this many cells the middle is shown as one replaced block rather than diffed. */
const MAX_CELLS = 4_000_000;

type Op = { readonly kind: " " | "-" | "+"; readonly text: string };

export function diffHunks(before: string, after: string, context = 2): Hunk[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre &&
    suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  )
    suf++;
  const ops: Op[] = [
    ...a.slice(0, pre).map((text): Op => ({ kind: " ", text })),
    ...middle(a.slice(pre, a.length - suf), b.slice(pre, b.length - suf)),
    ...a.slice(a.length - suf).map((text): Op => ({ kind: " ", text })),
  ];
  return hunks(ops, context);
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function middle(a: readonly string[], b: readonly string[]): Op[] {
  if (a.length * b.length > MAX_CELLS)
    return [
      ...a.map((text): Op => ({ kind: "-", text })),
      ...b.map((text): Op => ({ kind: "+", text })),
    ];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * width + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ kind: " ", text: a[i++]! });
      j++;
    } else if (
      i < a.length &&
      (j === b.length || (lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0))
    ) {
      // On a tie the removed line comes first: a change reads as old lines, then new ones.
      out.push({ kind: "-", text: a[i++]! });
    } else {
      out.push({ kind: "+", text: b[j++]! });
    }
  }
  return out;
}

function hunks(ops: readonly Op[], context: number): Hunk[] {
  const changed = ops.flatMap((op, k) => (op.kind === " " ? [] : [k]));
  // Changes closer than two contexts apart share a hunk.
  const groups: [number, number][] = [];
  for (const k of changed) {
    const last = groups.at(-1);
    if (last && k - last[1] <= 2 * context + 1) last[1] = k;
    else groups.push([k, k]);
  }
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let o = 1;
  let n = 1;
  for (const op of ops) {
    oldAt.push(o);
    newAt.push(n);
    if (op.kind !== "+") o++;
    if (op.kind !== "-") n++;
  }
  return groups.map(([first, last]) => {
    const start = Math.max(0, first - context);
    const slice = ops.slice(start, Math.min(ops.length, last + context + 1));
    return {
      oldStart: oldAt[start]!,
      oldLines: slice.filter((op) => op.kind !== "+").length,
      newStart: newAt[start]!,
      newLines: slice.filter((op) => op.kind !== "-").length,
      lines: slice.map((op) => `${op.kind}${op.text}`),
    };
  });
}
