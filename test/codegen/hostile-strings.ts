// Shared by the escaping tests: random strings that lean on everything that can end or alter a
// literal or a comment, and an independent decoder of the comment escape escape.ts defines.
import fc from "fast-check";

/** Pieces that close, open or bend strings and comments in TypeScript or Python. */
export const FRAGMENTS = [
  "*/",
  "/*",
  "/**",
  "//",
  "*",
  "/",
  '"',
  "'",
  "`",
  '"""',
  "\\",
  "\\\\",
  "\\n",
  "\\u{41}",
  "\\x41",
  "${",
  "}",
  "#",
  "@param x",
  "\n",
  "\r",
  "\r\n",
  "\u2028",
  "\u2029",
  "\u0085",
  "\0",
  "\0" + "1",
  "\x1b[31m",
  "\x7f",
  "\x0b",
  "\x0c",
  "\u202e",
  "\u2066",
  "\ufeff",
  "\ud800",
  "\udfff",
  "😀",
  "é",
  "\t",
  " ",
  "x",
  "</script>",
] as const;

/** A random string, mostly hostile fragments, with arbitrary code units (lone surrogates too). */
export const hostile = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ unit: "binary", maxLength: 3 })), {
    maxLength: 14,
  })
  .map((parts) => parts.join(""));

/**
 * Decodes escape.ts's comment escape: `\\`, `\n`, `\r`, `\/` and `\u{HEX}`; any other backslash
 * sequence is an error, so an escaper that leaves a raw backslash makes the test fail.
 */
export function decodeComment(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "\\" || next === "/") out += next;
    else if (next === "n") out += "\n";
    else if (next === "r") out += "\r";
    else if (next === "u") {
      const m = /^u\{([0-9A-F]{1,6})\}/.exec(text.slice(i + 1));
      if (!m) throw new Error(`bad escape at ${i} in ${JSON.stringify(text)}`);
      out += String.fromCodePoint(parseInt(m[1]!, 16));
      i += m[0].length;
      continue;
    } else throw new Error(`bad escape \\${next} at ${i} in ${JSON.stringify(text)}`);
    i++;
  }
  return out;
}

/** Raw code points no generated text may hold: controls (but tab and line feed), separators... */
export const UNSAFE_RAW =
  /[\0-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|\p{Cs}/u;
