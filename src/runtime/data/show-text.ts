// Text from data files (paths as written, tar member names, JSON snippets) made safe to print: no
// control characters reach the terminal (they could move the cursor, rewrite earlier lines or
// change its title), invisible direction overrides are shown, and long text is cut short.

/** C0 and C1 controls, DEL, line and paragraph separators and the bidirectional overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/gu;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Escapes control characters as `\n`, `\xNN` or `\u{NNNN}`; backslashes stay as they are. With
 * `keepLines`, line feeds and tabs stay (for showing a document's text across lines).
 */
export function escapeControls(text: string, keepLines = false): string {
  return text.replace(UNSAFE, (c) => {
    if (keepLines && (c === "\n" || c === "\t")) return c;
    const named = NAMED[c];
    if (named) return named;
    const code = c.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** Escaped and at most `max` characters (a long path or line is shown by its start). */
export function showText(text: string, max = 200): string {
  // never split a surrogate pair
  const end = max > 0 && /[\ud800-\udbff]/.test(text[max - 1] ?? "") ? max - 1 : max;
  const cut = text.length > max ? text.slice(0, end) : text;
  const shown = escapeControls(cut);
  return text.length > max ? `${shown}... (${text.length} characters)` : shown;
}
