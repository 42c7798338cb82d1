// Writing arbitrary text into `.mm` source for the hostile-text property tests (the TypeScript
// and Python targets): string literals and `///` doc comments, and the doc the front end reads back.

/** A `.mm` string literal for any text: printable ASCII as is, the rest as `\u{...}`. */
export function mmString(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (/^[\x20-\x7e]$/.test(ch)) out += ch;
    else out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
  }
  return `${out}"`;
}

/** `///` lines for a doc; the doc the front end reads back is the lines joined by `\n`. */
export function mmDoc(doc: string): string {
  return doc
    .split(/\r\n|\r|\n/)
    .map((l) => `/// ${l}\n`)
    .join("");
}

/** The doc the front end reads back: the `///` lines joined by line feeds. */
export function readDoc(doc: string): string {
  return doc.split(/\r\n|\r|\n/).join("\n");
}
