// Escaping for generated TypeScript: one function per output context (string literal, line
// comment, JSDoc text, identifier). All user text that enters generated code (spec contents, file
// and folder names, locations) goes through one of these; none can be closed from inside.

/**
 * Code points no generated text carries raw: C0 and C1 controls (tab aside; C1 holds U+0085),
 * DEL, the line and paragraph separators, bidirectional controls (which reorder how code reads,
 * "Trojan Source") and the byte-order mark. Lone surrogates are handled by the callers.
 */
export function isUnsafeCodePoint(cp: number): boolean {
  return (
    (cp < 0x20 && cp !== 0x09) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff
  );
}

/** A string's code points; a lone surrogate comes out as its own unit, marked `lone`. */
export function codePoints(s: string): { text: string; cp: number; lone: boolean }[] {
  const out: { text: string; cp: number; lone: boolean }[] = [];
  for (const text of s) {
    const cp = text.codePointAt(0) ?? 0;
    out.push({ text, cp, lone: cp >= 0xd800 && cp <= 0xdfff });
  }
  return out;
}

function hex4(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * A double-quoted TypeScript string literal whose value is exactly `s`. Quotes, backslashes,
 * line terminators, every control character (NUL as `\u0000`: `\0` before a digit is an octal
 * escape), bidirectional controls and lone surrogates are escaped; other text stays readable.
 * Backticks and `${` have no meaning inside double quotes. A backslash is written `\x5C`, never
 * `\\`: ts-morph's code writer takes any quote after a backslash for an escaped one, so a
 * literal ending in an escaped backslash would leave it thinking the string still open, and a
 * comment opener later in the same literal would make it write a comment closer of its own in
 * the middle of the file (found by test/codegen/hostile-spec.test.ts with a root of `*\`).
 */
export function tsString(s: string): string {
  let out = '"';
  for (const { text, cp, lone } of codePoints(s)) {
    if (text === '"') out += '\\"';
    else if (text === "\\") out += "\\x5C";
    else if (text === "\n") out += "\\n";
    else if (text === "\r") out += "\\r";
    else if (text === "\t") out += "\\t";
    else if (lone || isUnsafeCodePoint(cp)) out += `\\u${hex4(cp)}`;
    else out += text;
  }
  return `${out}"`;
}

/**
 * The comment escape, shared by every comment context (and by Python's `#` comments): a
 * backslash is written `\\`, a line feed `\n`, a carriage return `\r`, every other unsafe code
 * point (and a lone surrogate) `\u{HEX}`, the same notation as `.mm` strings. `keepLineFeeds`
 * leaves line feeds raw (JSDoc text, where each line gets its own ` * `); `closer` is a sequence
 * that must never appear, broken by writing its last character as `\` + character (`*\/`).
 */
export function escapeCommentText(
  text: string,
  opts: { keepLineFeeds: boolean; closer?: "*/" },
): string {
  let out = "";
  for (const { text: c, cp, lone } of codePoints(text)) {
    if (c === "\\") out += "\\\\";
    else if (c === "\n") out += opts.keepLineFeeds ? "\n" : "\\n";
    else if (c === "\r") out += "\\r";
    else if (lone || isUnsafeCodePoint(cp)) out += `\\u{${cp.toString(16).toUpperCase()}}`;
    else if (opts.closer === "*/" && c === "/" && out.endsWith("*")) out += "\\/";
    else out += c;
  }
  return out;
}

/** A whole `// ...` line comment holding `text`: no line terminator survives, so it stays one line. */
export function tsLineComment(text: string): string {
  return `// ${escapeCommentText(text, { keepLineFeeds: false })}`;
}

/**
 * Text for a `/** ... *\/` block (ts-morph's `docs`, which writes it verbatim): line feeds stay
 * line breaks, `*\/` can never appear, and nothing else can end a line early.
 */
export function tsDocText(text: string): string {
  return escapeCommentText(text, { keepLineFeeds: true, closer: "*/" });
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval undefined NaN Infinity".split(
    " ",
  ),
);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A `.mm` name as a TypeScript identifier. `.mm` names are ASCII identifiers (the lexer admits
 * nothing else), so anything else here is a broken invariant, not user error: it throws rather
 * than emit it. Reserved words (and names strict mode forbids declaring) get a trailing `_`.
 */
export function tsIdentifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`codegen: ${JSON.stringify(name)} is not an identifier`);
  return RESERVED.has(name) ? `${name}_` : name;
}

/** A property key: bare when it is an identifier name, else a string literal. */
export function tsKey(k: string): string {
  return IDENTIFIER.test(k) ? k : tsString(k);
}

/**
 * A relative path as a relative URL reference (for `new URL(ref, import.meta.url)`): each
 * segment is percent-encoded, so `#`, `?`, `%`, `\` and `:` in a folder name stay part of the
 * name; only the real `..` segments that `path.relative` writes act as dot segments.
 */
export function relativeUrl(path: string): string {
  return path
    .split("/")
    .map((seg) => (seg === ".." || seg === "." ? seg : encodeSegment(seg)))
    .join("/");
}

function encodeSegment(seg: string): string {
  let out = "";
  for (const { text, lone } of codePoints(seg))
    // A lone surrogate cannot name a file (file names reach Node as UTF-8); U+FFFD stands in.
    out += lone ? "%EF%BF%BD" : encodeURIComponent(text);
  return out;
}
