// The lexical rules of Stanford CoreNLP 3.4.1's PTBLexer (the tokenizer pycocoevalcap runs), as
// JavaScript regular expressions with the options pycocoevalcap gets: the lexer's defaults plus
// `tokenizeNLs`. Rule order is the lexer's, since ties between equally long matches go to the
// earlier rule. docs/eval.md lists where these can differ from the Java lexer.
import {
  ABBREV1,
  ABBREV3,
  ABBREV4_ALTS,
  ACRO_ALTS,
  APOS,
  APOSETCETERA,
  ASIAN_SMILEYS,
  ci,
  DBLQUOT,
  DIGIT,
  EMAIL,
  FILENAME,
  FRAC,
  FULLURL,
  HTHING,
  JLETTER,
  LETTER,
  LIKELYURL,
  MISCSYMBOL,
  NEWLINE,
  NUM_FRAC,
  NUM_INT,
  PHONE_A,
  PHONE_B,
  QUOTE_CHARS,
  REDAUX,
  SENTENCE_STARTS,
  SENTEND,
  SGML,
  SMILEY,
  SPACE,
  SPACENL,
  SPACENLS,
  SPAMP,
  SREDAUX,
  SWORD,
  THING,
  THING3,
  THINGA,
  WORD,
  words,
} from "./ptb-macros.js";

/** What a rule does with the text it matched (the part before any trailing context). */
export type PtbAction =
  | { kind: "emit"; map?: (text: string) => string }
  | { kind: "skip" }
  | { kind: "newline" }
  /** Emit the first `length - back` characters and read the last `back` again (`yypushback`). */
  | { kind: "pushback"; back: number }
  /** Emit the whole text, then read its final period again (abbreviations at a sentence end). */
  | { kind: "reduplicate" }
  /** An acronym before a sentence-starting word: one letter loses its period, longer ones keep it. */
  | { kind: "acronym" };

export interface PtbRule {
  name: string;
  /** Alternatives tried separately so the longest wins; each has the token as group 1. */
  patterns: RegExp[];
  action: PtbAction;
  /**
   * For a text, where a match of the rule can start at all; the rule is not tried elsewhere.
   * An e-mail address scans to the end of a run without spaces, so trying it everywhere in a
   * long run would be quadratic; it needs an `@` in the rest of the run.
   */
  gate?: (text: string) => (pos: number) => boolean;
}

// --- token transforms (the lexer's PTB3 escaping defaults) ---------------------------------------
const removeSoftHyphens = (s: string): string => {
  if (!s.includes("\u00AD")) return s;
  const out = s.replaceAll("\u00AD", "");
  return out === "" ? "-" : out;
};
const nbsp = (s: string): string => s.replaceAll(" ", "\u00A0");
const parens = (s: string): string => s.replaceAll("(", "-LRB-").replaceAll(")", "-RRB-");
const normalizeAmp = (s: string): string => s.replace(/&amp;/gi, "&");
/** LaTeX-style quotes: ` and `` open, ' and '' close. */
export function latexQuotes(s: string, probablyLeft: boolean): string {
  let out = probablyLeft
    ? s.replace(/&apos;|'/g, "`").replace(/"|&quot;/g, "``")
    : s.replace(/&apos;|'/g, "'").replace(/"|&quot;/g, "''");
  out = out.replace(/[\u0091\u2018\u201B\u2039]/g, "`").replace(/[\u0092\u2019\u203A]/g, "'");
  return out.replace(/[\u0093\u201C\u00AB]/g, "``").replace(/[\u0094\u201D\u00BB]/g, "''");
}
const fractions: Record<string, string> = {
  "\u00BC": "1/4",
  "\u00BD": "1/2",
  "\u00BE": "3/4",
  "\u2153": "1/3",
  "\u2154": "2/3",
};
const currency = (s: string): string =>
  s
    .replaceAll("\u00A2", "cents")
    .replaceAll("\u00A3", "#")
    .replace(/[\u0080\u00A4\u20A0\u20AC]/g, "$");

/** Whether an `@` follows `pos` before the end of the run of characters an address may hold. */
function atInRun(text: string): (pos: number) => boolean {
  // nextAt[i]: the first `@` at or after i; nextStop[i]: the first character no address holds.
  const nextAt = new Int32Array(text.length + 1).fill(text.length);
  const nextStop = new Int32Array(text.length + 1).fill(text.length);
  const stop = /[ \t\n\f\r"<>|(){}\u00A0]/;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i] as string;
    nextAt[i] = c === "@" ? i : (nextAt[i + 1] as number);
    nextStop[i] = stop.test(c) ? i : (nextStop[i + 1] as number);
  }
  // The first character cannot be a stop; an `@` after it must come before the next stop.
  return (pos) => (nextAt[pos + 1] as number) < (nextStop[pos + 1] as number);
}

// --- the rules, in the lexer's order -------------------------------------------------------------
const emit = (map?: (text: string) => string): PtbAction =>
  map ? { kind: "emit", map } : { kind: "emit" };
const skip: PtbAction = { kind: "skip" };

/** `body` alone, or `body` followed by the trailing context `ctx` (matched, not consumed). */
function rule(
  name: string,
  body: string | string[],
  action: PtbAction,
  ctx = "",
  gate?: PtbRule["gate"],
): PtbRule {
  const bodies = Array.isArray(body) ? body : [body];
  return {
    name,
    patterns: bodies.map((b) => new RegExp(`(${b})${ctx}`, "uy")),
    action,
    ...(gate ? { gate } : {}),
  };
}

export const PTB_RULES: readonly PtbRule[] = [
  rule("c++", `${ci("c")}[+][+]`, emit()),
  rule("c#", `(?:${ci("c")}|${ci("f")})#`, emit()),
  rule("cannot", ci("cannot"), { kind: "pushback", back: 3 }),
  rule("'twas", ci("'twas"), { kind: "pushback", back: 3 }),
  rule("'tis", ci("'tis"), { kind: "pushback", back: 2 }),
  rule("gonna", words("gonna|gotta|lemme|gimme|wanna"), { kind: "pushback", back: 2 }),
  rule("sgml", SGML, emit(nbsp), "", (text) => {
    const closes = /<[^]*>/.test(text);
    return () => closes;
  }),
  rule(
    "spmdash",
    `&${words("MD|mdash|ndash")};|[\\u0096\\u0097\\u2013\\u2014\\u2015]`,
    emit(() => "--"),
  ),
  rule("spamp", SPAMP, emit(normalizeAmp)),
  rule("sppunc", `&${words("HT|TL|UR|LR|QC|QL|QR|odq|cdq")};|&#[0-9]+;`, emit()),
  rule("word-redaux", WORD, emit(removeSoftHyphens), REDAUX),
  rule("sword-sredaux", SWORD, emit(removeSoftHyphens), SREDAUX),
  rule("word", WORD, emit(removeSoftHyphens)),
  rule(
    "apoword",
    [
      `${APOS}${ci("n")}${APOS}?`,
      `[lLdDjJ]${APOS}`,
      `${ci("Dunkin")}${APOS}`,
      `${ci("somethin")}${APOS}`,
      `${ci("ol")}${APOS}`,
      `${APOS}${ci("em")}`,
      `[A-HJ-XZn]${APOSETCETERA}${JLETTER}{2}${JLETTER}*`,
      `${APOS}[2-9]0${ci("s")}`,
      `${APOS}${ci("til")}${ci("l")}?`,
      `${JLETTER}${JLETTER}*[aeiouyAEIOUY]${APOSETCETERA}[aeiouA-Z]${JLETTER}*`,
      `${APOS}${ci("cause")}`,
      `${ci("cont'd")}\\.?`,
      words("'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l"),
      `${ci("O")}${APOSETCETERA}${ci("o")}`,
    ],
    emit(),
  ),
  rule("apoword2", `${ci("y")}${APOS}`, emit(), JLETTER),
  rule("fullurl", FULLURL, emit()),
  rule("likelyurl", LIKELYURL, emit()),
  rule("email", EMAIL, emit(), "", atInRun),
  rule("twitter", [`@[a-zA-Z_][a-zA-Z_0-9]*`, `#${LETTER}+`], emit()),
  rule(
    "redaux-ctx",
    REDAUX,
    emit((t) => latexQuotes(t, false)),
    "[^A-Za-z]",
  ),
  rule(
    "sredaux-ctx",
    SREDAUX,
    emit((t) => latexQuotes(t, false)),
    "[^A-Za-z]",
  ),
  rule("date", `${DIGIT}{1,2}[\\-\\/]${DIGIT}{1,2}[\\-\\/]${DIGIT}{2,4}`, emit()),
  rule("number", [`[\\-+]?${NUM_INT}`, `[\\-+]?${NUM_FRAC}`], emit(removeSoftHyphens)),
  rule(
    "subsupnum",
    "[\\u207A\\u207B\\u208A\\u208B]?(?:[\\u2070\\u00B9\\u00B2\\u00B3\\u2074-\\u2079]+|[\\u2080-\\u2089]+)",
    emit(),
  ),
  rule("frac", FRAC, emit(nbsp)),
  rule(
    "frac2",
    "[\\u00BC\\u00BD\\u00BE\\u2153-\\u215E]",
    emit((t) => fractions[t] ?? t),
  ),
  rule(
    "tbspec",
    [
      `-${words("RRB|LRB|RCB|LCB|RSB|LSB")}-`,
      ci("C.D.s"),
      ci("pro-"),
      ci("anti-"),
      `${ci("S")}(?:${SPAMP}|&)${ci("P-500")}`,
      `${ci("S")}(?:${SPAMP}|&)${ci("Ls")}`,
      `${ci("Cap")}${APOS}${ci("n")}`,
      `${ci("c")}${APOS}${ci("est")}`,
    ],
    emit(normalizeAmp),
  ),
  rule("thing3", THING3, emit()),
  rule("dolsign", ["[A-Z]*\\$", "#"], emit()),
  rule(
    "dolsign2",
    "[\\u00A2\\u00A3\\u00A4\\u00A5\\u0080\\u20A0\\u20AC\\u060B\\u0E3F\\u20A4\\uFFE0\\uFFE1\\uFFE5\\uFFE6]",
    emit(currency),
  ),
  rule(
    "acronym",
    ACRO_ALTS.map((a) => `${a}\\.`),
    { kind: "acronym" },
    `${SPACENLS}(?:${SENTENCE_STARTS}|${SGML})${SPACENL}`,
  ),
  rule("abbrev3", ABBREV3, emit(), `${SPACENL}?${DIGIT}`),
  rule("pty", `(?:${ci("pt")}[eyEY]|${ci("co")})\\.`, emit(), `${SPACE}${words("ltd|lim")}`),
  rule("abbrev1-sentend", ABBREV1, { kind: "reduplicate" }, SENTEND),
  rule("abbrev1-ctx", ABBREV1, emit(), "[^][^]"),
  rule("abbrev1", ABBREV1, { kind: "reduplicate" }),
  rule(
    "abbrev2",
    ABBREV4_ALTS.map((a) => `${a}\\.`),
    emit(),
  ),
  rule("abbrev4", ABBREV4_ALTS, emit(), SPACE),
  rule("acro", ACRO_ALTS, emit(), SPACENL),
  rule("tbspec2", `${APOS}[0-9][0-9]`, emit(), SPACENL),
  rule("filename", FILENAME, emit(), `(?:${SPACENL}|[.?!,])`),
  rule("word-period", `${WORD}\\.`, emit(removeSoftHyphens), "[,;:\\u3001]"),
  rule(
    "phone",
    [PHONE_A, PHONE_B],
    emit((t) => parens(nbsp(t))),
  ),
  rule(
    "dblquote-left",
    DBLQUOT,
    emit((t) => latexQuotes(t, true)),
    "[A-Za-z0-9$]",
  ),
  rule(
    "dblquote",
    DBLQUOT,
    emit((t) => latexQuotes(t, false)),
  ),
  rule("del", "\\x7F", skip),
  rule(
    "lessthan",
    `<|${ci("&lt;")}`,
    emit(() => "<"),
  ),
  rule(
    "greaterthan",
    `>|${ci("&gt;")}`,
    emit(() => ">"),
  ),
  rule("smiley", SMILEY, emit(parens), "[^A-Za-z0-9]"),
  rule("asiansmiley", ASIAN_SMILEYS, emit(parens)),
  rule(
    "lcb",
    "\\{",
    emit(() => "-LCB-"),
  ),
  rule(
    "rcb",
    "\\}",
    emit(() => "-RCB-"),
  ),
  rule(
    "lsb",
    "\\[",
    emit(() => "-LSB-"),
  ),
  rule(
    "rsb",
    "\\]",
    emit(() => "-RSB-"),
  ),
  rule(
    "lrb",
    "\\(",
    emit(() => "-LRB-"),
  ),
  rule(
    "rrb",
    "\\)",
    emit(() => "-RRB-"),
  ),
  rule(
    "hyphens",
    "-+",
    emit((t) => (t.length >= 3 && t.length <= 4 ? "--" : t)),
  ),
  rule(
    "ldots",
    ["\\.{3,5}", "(?:\\.[ \\u00A0]){2,4}\\.", "[\\u0085\\u2026]"],
    emit(() => "..."),
  ),
  rule("fnmarks", ["@+", "#+", "_+"], emit()),
  rule("asts", ["\\*+", "(?:\\\\\\*){1,3}"], emit()),
  rule("insentp", "[,;:\\u3001]", emit()),
  rule("qmarks", "[?!]+", emit()),
  rule(
    "period",
    "[.\\u00A1\\u00BF\\u037E\\u0589\\u061F\\u06D4\\u0700-\\u0702\\u07FA\\u3002]",
    emit(),
  ),
  rule("equals", "=", emit()),
  rule("slash", "\\/", emit()),
  rule("hthing-period", `${HTHING}\\.`, emit(removeSoftHyphens), "[,;:\\u3001]"),
  rule("hthing", HTHING, emit(removeSoftHyphens)),
  rule("thing-period", `${THING}\\.`, emit(), "[,;:\\u3001]"),
  rule("thing", THING, emit()),
  rule("thinga-period", `${THINGA}\\.`, emit(normalizeAmp), "[,;:\\u3001]"),
  rule("thinga", THINGA, emit(normalizeAmp)),
  rule(
    "quote-left",
    "'",
    emit((t) => latexQuotes(t, true)),
    "[A-Za-z][^ \\t\\n\\r\\u00A0]",
  ),
  rule(
    "redaux",
    REDAUX,
    emit((t) => latexQuotes(t, false)),
  ),
  rule(
    "sredaux",
    SREDAUX,
    emit((t) => latexQuotes(t, false)),
  ),
  rule(
    "quotes",
    [APOS, "''", `${QUOTE_CHARS}{1,2}`],
    emit((t) => latexQuotes(t, false)),
  ),
  rule("fakeduckfeet", "<<|>>", emit()),
  rule("miscsymbol", MISCSYMBOL, emit()),
  rule("space", [`\\u0000`, `${SPACE}+`, "[\\u200B\\u200E\\u200F\\uFEFF]"], skip),
  rule("newline", NEWLINE, { kind: "newline" }),
  rule("nbsp-entity", ci("&nbsp;"), skip),
  // Untokenizable characters are deleted (the lexer's default `firstDelete`, which also logs one).
  rule("other", ".", skip),
];
