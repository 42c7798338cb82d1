// Escaping for generated Python (for a PyTorch target): one function per output context, the
// same contract as escape.ts. Nothing a spec holds can close a string, comment or docstring.
import { codePoints, escapeCommentText, isUnsafeCodePoint } from "./escape.js";

function pyEscape(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

/**
 * A double-quoted Python string literal (no prefix, so `{` is plain text) whose value is exactly
 * `s`. NUL, which Python source may not hold, and lone surrogates, which UTF-8 source cannot
 * hold, are escaped with the rest of the controls.
 */
export function pyString(s: string): string {
  let out = '"';
  for (const { text, cp, lone } of codePoints(s)) {
    if (text === '"') out += '\\"';
    else if (text === "\\") out += "\\\\";
    else if (text === "\n") out += "\\n";
    else if (text === "\r") out += "\\r";
    else if (text === "\t") out += "\\t";
    else if (lone || isUnsafeCodePoint(cp)) out += pyEscape(cp);
    else out += text;
  }
  return `${out}"`;
}

/** A whole `# ...` comment holding `text` on one line (the TypeScript comment escape). */
export function pyComment(text: string): string {
  return `# ${escapeCommentText(text, { keepLineFeeds: false })}`;
}

/**
 * A `"""..."""` docstring literal whose value is exactly `text`: line feeds stay line breaks;
 * a quote is escaped where it touches another quote or either end (so `"""` never forms and
 * the closing quotes cannot merge with the text); a backslash, `\r` (which Python's reader would
 * turn into `\n`) and the other controls are escaped.
 */
export function pyDocstring(text: string): string {
  const units = codePoints(text);
  let out = "";
  units.forEach(({ text: c, cp, lone }, i) => {
    if (c === '"') {
      const touches = i === 0 || i === units.length - 1 || units[i + 1]?.text === '"';
      out += touches || out.endsWith('"') ? '\\"' : '"';
    } else if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\n";
    else if (c === "\r") out += "\\r";
    else if (lone || isUnsafeCodePoint(cp)) out += pyEscape(cp);
    else out += c;
  });
  return `"""${out}"""`;
}

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);

/**
 * A `.mm` name as a Python identifier: `.mm` names are ASCII identifiers, so anything else is a
 * broken invariant and throws; keywords get a trailing `_` (PEP 8's convention).
 */
export function pyIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new Error(`codegen: ${JSON.stringify(name)} is not an identifier`);
  return KEYWORDS.has(name) ? `${name}_` : name;
}
