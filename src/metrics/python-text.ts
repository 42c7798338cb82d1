// The few Python string operations the reference evaluation scripts use, with Python's own idea of
// whitespace: pycocoevalcap runs on Python 3 (`str.split()`), VQA's vqaEval.py on Python 2
// (`unicode.strip()`, `.split()`, `.lower()`), whose whitespace set also has U+180E.

const PY3_SPACE =
  "\\t\\n\\u000B\\u000C\\r\\u001C-\\u001F \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
const PY2_SPACE = `${PY3_SPACE}\\u180E`;

const py3Runs = new RegExp(`[${PY3_SPACE}]+`, "u");
const py2Runs = new RegExp(`[${PY2_SPACE}]+`, "u");
const py3Trailing = new RegExp(`[${PY3_SPACE}]+$`, "u");
const py2Ends = new RegExp(`^[${PY2_SPACE}]+|[${PY2_SPACE}]+$`, "gu");

/** Python 3 `s.split()`: split on whitespace runs, no empty strings. */
export function py3Split(s: string): string[] {
  return s.split(py3Runs).filter((w) => w !== "");
}

/** Python 3 `s.rstrip()`. */
export function py3Rstrip(s: string): string {
  return s.replace(py3Trailing, "");
}

/** Python 2 `u.split()`. */
export function py2Split(s: string): string[] {
  return s.split(py2Runs).filter((w) => w !== "");
}

/** Python 2 `u.strip()`. */
export function py2Strip(s: string): string {
  return s.replace(py2Ends, "");
}

/**
 * Python 2 `u.lower()`: each code point on its own (Unicode's simple mapping), so a final sigma
 * stays `σ` and `İ` becomes `i` where JavaScript's `toLowerCase` would apply the special cases.
 */
export function py2Lower(s: string): string {
  let out = "";
  for (const ch of s) out += ch === "\u0130" ? "i" : ch.toLowerCase();
  return out;
}
