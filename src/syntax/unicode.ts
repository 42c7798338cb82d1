// The Unicode the syntax stage watches for: characters that change the visible direction of text
// (a "Trojan Source" line reads differently from what the compiler sees) and Cyrillic or Greek
// letters that look like Latin ones (a name or path that is not what it appears to be).

/**
 * The direction embeddings, overrides and isolates (as rustc), plus the three direction marks:
 * a spec has no use for invisible characters that move the text around them.
 */
export const BIDI_NAMES: ReadonlyMap<number, string> = new Map([
  [0x061c, "ARABIC LETTER MARK"],
  [0x200e, "LEFT-TO-RIGHT MARK"],
  [0x200f, "RIGHT-TO-LEFT MARK"],
  [0x202a, "LEFT-TO-RIGHT EMBEDDING"],
  [0x202b, "RIGHT-TO-LEFT EMBEDDING"],
  [0x202c, "POP DIRECTIONAL FORMATTING"],
  [0x202d, "LEFT-TO-RIGHT OVERRIDE"],
  [0x202e, "RIGHT-TO-LEFT OVERRIDE"],
  [0x2066, "LEFT-TO-RIGHT ISOLATE"],
  [0x2067, "RIGHT-TO-LEFT ISOLATE"],
  [0x2068, "FIRST STRONG ISOLATE"],
  [0x2069, "POP DIRECTIONAL ISOLATE"],
]);

export const BIDI_PATTERN = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `U+202E` for a code point. */
export function codePointName(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

interface LookAlike {
  readonly name: string;
  readonly latin: string;
}

const CYRILLIC: readonly [number, string, string][] = [
  [0x0430, "CYRILLIC SMALL LETTER A", "a"],
  [0x0435, "CYRILLIC SMALL LETTER IE", "e"],
  [0x043e, "CYRILLIC SMALL LETTER O", "o"],
  [0x0440, "CYRILLIC SMALL LETTER ER", "p"],
  [0x0441, "CYRILLIC SMALL LETTER ES", "c"],
  [0x0443, "CYRILLIC SMALL LETTER U", "y"],
  [0x0445, "CYRILLIC SMALL LETTER HA", "x"],
  [0x0455, "CYRILLIC SMALL LETTER DZE", "s"],
  [0x0456, "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I", "i"],
  [0x0458, "CYRILLIC SMALL LETTER JE", "j"],
  [0x04bb, "CYRILLIC SMALL LETTER SHHA", "h"],
  [0x0501, "CYRILLIC SMALL LETTER KOMI DE", "d"],
  [0x051b, "CYRILLIC SMALL LETTER QA", "q"],
  [0x051d, "CYRILLIC SMALL LETTER WE", "w"],
  [0x0405, "CYRILLIC CAPITAL LETTER DZE", "S"],
  [0x0406, "CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I", "I"],
  [0x0408, "CYRILLIC CAPITAL LETTER JE", "J"],
  [0x0410, "CYRILLIC CAPITAL LETTER A", "A"],
  [0x0412, "CYRILLIC CAPITAL LETTER VE", "B"],
  [0x0415, "CYRILLIC CAPITAL LETTER IE", "E"],
  [0x041a, "CYRILLIC CAPITAL LETTER KA", "K"],
  [0x041c, "CYRILLIC CAPITAL LETTER EM", "M"],
  [0x041d, "CYRILLIC CAPITAL LETTER EN", "H"],
  [0x041e, "CYRILLIC CAPITAL LETTER O", "O"],
  [0x0420, "CYRILLIC CAPITAL LETTER ER", "P"],
  [0x0421, "CYRILLIC CAPITAL LETTER ES", "C"],
  [0x0422, "CYRILLIC CAPITAL LETTER TE", "T"],
  [0x0425, "CYRILLIC CAPITAL LETTER HA", "X"],
  [0x04ae, "CYRILLIC CAPITAL LETTER STRAIGHT U", "Y"],
];

const GREEK: readonly [number, string, string][] = [
  [0x03b1, "GREEK SMALL LETTER ALPHA", "a"],
  [0x03b9, "GREEK SMALL LETTER IOTA", "i"],
  [0x03ba, "GREEK SMALL LETTER KAPPA", "k"],
  [0x03bd, "GREEK SMALL LETTER NU", "v"],
  [0x03bf, "GREEK SMALL LETTER OMICRON", "o"],
  [0x03c1, "GREEK SMALL LETTER RHO", "p"],
  [0x03c5, "GREEK SMALL LETTER UPSILON", "u"],
  [0x03c7, "GREEK SMALL LETTER CHI", "x"],
  [0x0391, "GREEK CAPITAL LETTER ALPHA", "A"],
  [0x0392, "GREEK CAPITAL LETTER BETA", "B"],
  [0x0395, "GREEK CAPITAL LETTER EPSILON", "E"],
  [0x0396, "GREEK CAPITAL LETTER ZETA", "Z"],
  [0x0397, "GREEK CAPITAL LETTER ETA", "H"],
  [0x0399, "GREEK CAPITAL LETTER IOTA", "I"],
  [0x039a, "GREEK CAPITAL LETTER KAPPA", "K"],
  [0x039c, "GREEK CAPITAL LETTER MU", "M"],
  [0x039d, "GREEK CAPITAL LETTER NU", "N"],
  [0x039f, "GREEK CAPITAL LETTER OMICRON", "O"],
  [0x03a1, "GREEK CAPITAL LETTER RHO", "P"],
  [0x03a4, "GREEK CAPITAL LETTER TAU", "T"],
  [0x03a5, "GREEK CAPITAL LETTER UPSILON", "Y"],
  [0x03a7, "GREEK CAPITAL LETTER CHI", "X"],
];

/** Cyrillic and Greek letters that look like a Latin letter, by code point. */
export const LOOK_ALIKES: ReadonlyMap<number, LookAlike> = new Map(
  [...CYRILLIC, ...GREEK].map(([code, name, latin]) => [code, { name, latin }]),
);

/** The Latin letter a Cyrillic or Greek code point looks like, with its name. */
export function lookAlikeOf(code: number): LookAlike | undefined {
  return LOOK_ALIKES.get(code);
}

/** "U+0430 CYRILLIC SMALL LETTER A looks like `a`", or undefined for other characters. */
export function describeLookAlike(code: number): string | undefined {
  const l = LOOK_ALIKES.get(code);
  return l ? `${codePointName(code)} ${l.name} looks like \`${l.latin}\`` : undefined;
}

type Script = "latin" | "cyrillic" | "greek" | "other";

function scriptOf(code: number): Script {
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return "latin";
  if (code >= 0x00c0 && code <= 0x024f && code !== 0xd7 && code !== 0xf7) return "latin";
  if (code >= 0x0400 && code <= 0x052f) return "cyrillic";
  if (code >= 0x0370 && code <= 0x03ff) return "greek";
  return "other";
}

/**
 * In `text`, the first word (a run of letters) that mixes Latin letters with Cyrillic or Greek
 * look-alikes: the look-alike's offset and code point. A word all in one script is not mixed.
 */
export function findMixedScript(text: string): { offset: number; code: number } | undefined {
  // Fast path: a string with no Cyrillic or Greek at all cannot mix them in.
  if (!/[\u0370-\u03ff\u0400-\u052f]/.test(text)) return undefined;
  for (const m of text.matchAll(/\p{L}+/gu)) {
    const word = m[0];
    let latin = false;
    let first: { offset: number; code: number } | undefined;
    let i = 0;
    for (const ch of word) {
      const code = ch.codePointAt(0) ?? 0;
      const script = scriptOf(code);
      if (script === "latin") latin = true;
      else if (first === undefined && LOOK_ALIKES.has(code))
        first = { offset: (m.index ?? 0) + i, code };
      i += ch.length;
    }
    if (latin && first) return first;
  }
  return undefined;
}
