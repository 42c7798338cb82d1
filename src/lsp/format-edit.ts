// The formatting request: `mmc fmt`'s layout (src/format/) as one edit that replaces only the
// part of the file that changes, so the editor keeps the cursor and folds elsewhere.
import { formatSource } from "../format/format.js";

export type FormatEdit =
  | {
      readonly ok: true;
      readonly edit?: { readonly start: number; readonly end: number; readonly text: string };
    }
  | { readonly ok: false; readonly reason: string };

export function formatEdit(text: string, path: string): FormatEdit {
  const r = formatSource(text, path);
  if (!r.ok)
    return {
      ok: false,
      reason: `the file has syntax errors (${r.diagnostics[0]?.code ?? "MM1"}): fix them to format it`,
    };
  if (r.text === text) return { ok: true };
  let start = 0;
  const max = Math.min(text.length, r.text.length);
  while (start < max && text.charCodeAt(start) === r.text.charCodeAt(start)) start++;
  let tail = 0;
  while (
    tail < max - start &&
    text.charCodeAt(text.length - 1 - tail) === r.text.charCodeAt(r.text.length - 1 - tail)
  )
    tail++;
  // Never split a surrogate pair or a CRLF between the kept and the replaced text.
  while (
    start > 0 &&
    (isLow(text.charCodeAt(start)) || (text[start] === "\n" && text[start - 1] === "\r"))
  )
    start--;
  while (tail > 0 && isLow(text.charCodeAt(text.length - tail))) tail--;
  return {
    ok: true,
    edit: { start, end: text.length - tail, text: r.text.slice(start, r.text.length - tail) },
  };
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
