// Escaping for the three places a report puts untrusted text (labels, names and paths from a
// spec, a sweep.json or a metrics file): HTML, Markdown table cells and the terminal.

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Text made safe for HTML element content and for double- or single-quoted attribute values.
 * Every string from a spec or a metrics file goes through this before it reaches report.html.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * Text made safe for one Markdown table cell: Markdown renderers pass inline HTML through, so
 * `<` and `&` become entities; the characters that make emphasis, code, links or a new cell are
 * backslash-escaped; line breaks (which would end the table row) become spaces.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, " ")
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c] ?? c)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/**
 * Text made safe to print on a terminal: control characters (escape sequences, carriage
 * returns, C1 controls), direction overrides and isolates, zero-width characters and lone
 * surrogates (the set diagnostics escape) are shown as `\u001b`-style escapes instead of acting.
 */
export function terminalSafe(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A label shortened to at most `max` characters (an ellipsis marks the cut). */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}
