// Making untrusted text safe to print: control characters, escape sequences, direction overrides
// and invisible characters become visible escapes (`\x1b`, `\u{202e}`), and long text is cut
// to a bounded window. Every renderer passes source text, messages and file names through here.

/**
 * Characters never sent raw to a terminal: C0 controls but tab, DEL, C1 controls, the
 * direction embeddings, overrides, isolates and marks, line and paragraph separators,
 * zero-width characters and the byte-order mark, and lone surrogates.
 */
const UNSAFE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const UNSAFE_TEST = new RegExp(UNSAFE.source);

/** The visible form of one unsafe character. */
export function escapeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code === 0x0a) return "\\n";
  if (code === 0x0d) return "\\r";
  if (code < 0xa0) return `\\x${code.toString(16).padStart(2, "0")}`;
  return `\\u{${code.toString(16)}}`;
}

/** `text` with every unsafe character shown as an escape; safe text is returned as is. */
export function escapeControls(text: string): string {
  if (!UNSAFE_TEST.test(text)) return text;
  return text.replace(UNSAFE, escapeChar);
}

/** Whether `text` holds a character `escapeControls` would change. */
export function hasUnsafe(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

/** Escapes for JSON output: JSON.stringify escapes C0 only; these are the rest, as `\uXXXX`. */
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

export function escapeJsonText(json: string): string {
  return json.replace(
    JSON_UNSAFE,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Terminal columns a code point takes: 2 for East Asian wide and fullwidth characters and most
 * emoji, 0 for combining marks, else 1. An approximation of wcwidth, enough to keep carets under
 * the characters they point at.
 */
export function columnWidth(code: number): number {
  if (code >= 0x300 && code <= 0x36f) return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** One character of a source line as shown: its text and the columns it takes. */
interface Shown {
  readonly text: string;
  readonly width: number;
}

function show(c: string): Shown {
  if (c === "\t") return { text: " ", width: 1 };
  if (UNSAFE_TEST.test(c)) {
    const text = escapeChar(c);
    return { text, width: text.length };
  }
  return { text: c, width: columnWidth(c.codePointAt(0) ?? 0) };
}

/** A window of a source line, made safe, with display columns for offsets inside it. */
export interface LineWindow {
  /** What to print after the gutter, `...` marks included. */
  readonly text: string;
  /** Display column (0-based, from the start of `text`) of a text offset, clamped to the window. */
  column(offset: number): number;
  /** Text offsets [from, to) the window shows. */
  readonly from: number;
  readonly to: number;
  /** Whether the line goes on past `to`. */
  readonly cutEnd: boolean;
}

/** How many display columns of a long line are shown around a span. */
export const WINDOW_COLUMNS = 100;
/** Columns shown before the span's start when the line is cut. */
const CONTEXT_BEFORE = 30;
const CUT = "...";

/**
 * The part of the line `text[lineStart, lineEnd)` to show for a span starting at `spanStart`: the
 * whole line when it fits in `WINDOW_COLUMNS`, else a window from a little before the span, with
 * `...` where it is cut. Looks only at the window, so a 1 MB line costs no more than a short one.
 */
export function lineWindow(
  text: string,
  lineStart: number,
  lineEnd: number,
  spanStart: number,
): LineWindow {
  const s = Math.max(lineStart, Math.min(spanStart, lineEnd));
  const whole = fits(text, lineStart, lineEnd);
  let from = lineStart;
  if (!whole) {
    from = s;
    let before = 0;
    while (from > lineStart) {
      const prev = codePointStartBefore(text, from);
      const w = show(text.slice(prev, from)).width;
      if (before + w > CONTEXT_BEFORE) break;
      before += w;
      from = prev;
    }
  }
  const lead = from > lineStart ? CUT : "";
  const budget = whole ? Infinity : WINDOW_COLUMNS - lead.length - CUT.length;
  const parts: string[] = [];
  const offsets: number[] = [];
  const columns: number[] = [];
  let col = lead.length;
  let used = 0;
  let i = from;
  while (i < lineEnd) {
    const len = codePointLength(text, i);
    const shown = show(text.slice(i, i + len));
    if (used + shown.width > budget) break;
    parts.push(shown.text);
    offsets.push(i);
    columns.push(col);
    col += shown.width;
    used += shown.width;
    i += len;
  }
  const to = i;
  const tail = to < lineEnd ? CUT : "";
  return {
    text: lead + parts.join("") + tail,
    from,
    to,
    cutEnd: tail !== "",
    column(offset: number): number {
      if (offset <= from) return lead.length;
      if (offset >= to) return col;
      let lo = 0;
      let hi = offsets.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((offsets[mid] ?? 0) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return columns[lo] ?? col;
    },
  };
}

/** Whether text[from, to) fits in `WINDOW_COLUMNS`; stops counting once it does not. */
function fits(text: string, from: number, to: number): boolean {
  if (to - from > WINDOW_COLUMNS * 8) return false;
  let width = 0;
  for (let i = from; i < to;) {
    const len = codePointLength(text, i);
    width += show(text.slice(i, i + len)).width;
    if (width > WINDOW_COLUMNS) return false;
    i += len;
  }
  return true;
}

function codePointLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function codePointStartBefore(s: string, i: number): number {
  const c = s.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = s.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return i - 2;
  }
  return i - 1;
}

/** Inline code (`...`) in a message longer than this is shortened in the middle. */
const MAX_CODE = 60;
/** No message line is longer than this when printed. */
export const MAX_MESSAGE = 1000;

/**
 * A message fragment made safe and bounded: escapes as above, backticked spans longer than
 * 60 characters shortened in the middle (`aaaa...zzzz`), and the whole cut at 1,000 characters.
 * User text (names, numbers, paths) reaches messages in backticks, so a 1 MB name stays short.
 */
export function safeMessage(text: string): string {
  let out = text;
  if (out.length > MAX_CODE)
    out = out.replace(/`([^`]{61,})`/g, (_, code: string) => `\`${shorten(code, MAX_CODE)}\``);
  if (out.length > MAX_MESSAGE) out = `${shorten(out, MAX_MESSAGE)}`;
  return escapeControls(out);
}

/** `text` cut to about `max` characters, keeping both ends, never splitting a surrogate pair. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - CUT.length) / 2);
  let head = half;
  if (isHigh(text.charCodeAt(head - 1))) head--;
  let tail = text.length - half;
  if (isLow(text.charCodeAt(tail))) tail++;
  return `${text.slice(0, head)}${CUT}${text.slice(tail)}`;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
