// The lexical rules of Stanford CoreNLP 3.4.1's PTBLexer (the tokenizer pycocoevalcap runs), as
// JavaScript regular expressions with the options pycocoevalcap gets: the lexer's defaults plus
// `tokenizeNLs`. Rule order is the lexer's, since ties between equally long matches go to the
// earlier rule. docs/eval.md lists where these can differ from the Java lexer.

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

/** The lexer is `%caseless`: literal letters match either case, character classes do not. */
function ci(literal: string): string {
  let out = "";
  for (const ch of literal) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (/[a-z]/.test(lower) && lower !== upper) out += `[${lower}${upper}]`;
    else out += /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
  }
  return out;
}

/** Case-insensitive alternation of literal words. */
const words = (list: string): string => `(?:${list.split("|").map(ci).join("|")})`;

// --- character classes -------------------------------------------------------------------------
// [:letter:] in the lexer is Java's Character.isLetter; LETTER adds soft hyphen, combining marks
// and a few modifier/Greek/Armenian/Syriac/Indic/Thai ranges that the lexer lists.
const LETTER_EXTRA =
  "\\u00AD\\u0237-\\u024F\\u02C2-\\u02C5\\u02D2-\\u02DF\\u02E5-\\u02FF\\u0300-\\u036F\\u0370-\\u037D" +
  "\\u0384\\u0385\\u03CF\\u03F6\\u03FC-\\u03FF\\u0483-\\u0487\\u04CF\\u04F6-\\u04FF\\u0510-\\u0525" +
  "\\u055A-\\u055F\\u0591-\\u05BD\\u05BF\\u05C1\\u05C2\\u05C4\\u05C5\\u05C7\\u0615-\\u061A" +
  "\\u063B-\\u063F\\u064B-\\u065E\\u0670\\u06D6-\\u06EF\\u06FA-\\u06FF\\u070F\\u0711\\u0730-\\u074F" +
  "\\u0750-\\u077F\\u07A6-\\u07B1\\u07CA-\\u07F5\\u07FA\\u0900-\\u0903\\u093C\\u093E-\\u094E" +
  "\\u0951-\\u0955\\u0962-\\u0963\\u0981-\\u0983\\u09BC-\\u09C4\\u09C7\\u09C8\\u09CB-\\u09CD\\u09D7" +
  "\\u09E2\\u09E3\\u0A01-\\u0A03\\u0A3C\\u0A3E-\\u0A4F\\u0A81-\\u0A83\\u0ABC-\\u0ACF\\u0B82" +
  "\\u0BBE-\\u0BC2\\u0BC6-\\u0BC8\\u0BCA-\\u0BCD\\u0C01-\\u0C03\\u0C3E-\\u0C56\\u0D3E-\\u0D44" +
  "\\u0D46-\\u0D48\\u0E30-\\u0E3A\\u0E47-\\u0E4E\\u0EB1-\\u0EBC\\u0EC8-\\u0ECD";
const SPLET = `&[aeiouAEIOU]${words("acute|grave|uml")};`;
// The lexer reads UTF-16 code units, so a character outside the Basic Multilingual Plane is two
// surrogates that no letter or digit class holds: the guard keeps such characters out here too.
const BMP = "(?![\\u{10000}-\\u{10FFFF}])";
const LETTER = `(?:${BMP}[\\p{L}${LETTER_EXTRA}]|${SPLET})`;
const DIGIT = `(?:${BMP}\\p{Nd})`;
const JLETTER = `(?:${BMP}\\p{L})`;
const LD = `(?:${BMP}[\\p{L}\\p{Nd}])`;
const UPPER = `(?:${BMP}\\p{Lu})`;

const SPACE_CHARS = " \\t\\u00A0\\u2000-\\u200A\\u3000";
const NEWLINE_CHARS = "\\n\\r\\u2028\\u2029\\u000B\\u000C\\u0085";
const SPACE = `[${SPACE_CHARS}]`;
const NEWLINE = `(?:\\r\\n|[${NEWLINE_CHARS}])`;
const SPACENL = `(?:\\r\\n|[${SPACE_CHARS}${NEWLINE_CHARS}])`;
const SPACENLS = `${SPACENL}+`;

const SGML_NAME = "[A-Za-z][A-Za-z0-9_:.\\-]*";
const SGML =
  `<(?:[!?][A-Za-z\\-][^>\\r\\n]*` +
  `|${SGML_NAME}(?:[ ]+(?:${SGML_NAME}[ ]*=[ ]*(?:'[^']*'|"[^"]*")|${SGML_NAME}))*[ ]*\\/?` +
  `|\\/${SGML_NAME})[ ]*>`;
const SENTEND = `${SPACENL}(?:${SPACENL}|${UPPER}|${SGML})`;

const APOS = `(?:['\\u0092\\u2019]|${ci("&apos;")})`;
const APOSETCETERA = `(?:${APOS}|[\`\\u0091\\u2018\\u201B])`;
const HYPHEN = "[\\-_\\u058A\\u2010\\u2011]";
const SPAMP = ci("&amp;");

const WORD = `${LETTER}(?:${LETTER}|${DIGIT})*(?:[.!?]${LETTER}(?:${LETTER}|${DIGIT})*)*`;
const REDAUX = `${APOS}(?:[msdMSD]|${words("re|ve|ll")})`;
const SWORD = "[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*";
const SREDAUX = `${ci("n")}${APOSETCETERA}${ci("t")}`;

const NUM_INT = `${DIGIT}+`;
const NUM_FRAC = `${DIGIT}*(?:[.:,\\u00AD\\u066B\\u066C]${DIGIT}+)+`;
const FRAC = `(?:${DIGIT}{1,4}[\\- \\u00A0])?${DIGIT}{1,4}(?:\\\\?\\/|\\u2044)${DIGIT}{1,4}`;

const FILENAME_EXT = words(
  "docx|html|java|jpeg|class|bat|bmp|cgi|cpp|dll|doc|exe|gif|htm|jar|jpg|mov|mp3|pdf|php|png|ppt|" +
    "sql|tar|txt|wav|xml|zip|gz|pl|ps|py|c|h|x",
);
const LETTER_DIGIT = `(?:${LETTER}|${DIGIT})`;
const FILENAME = `${LETTER_DIGIT}+(?:\\.${LETTER_DIGIT}+)*\\.${FILENAME_EXT}`;
const THING_PART = `(?:[dDoOlL]${APOSETCETERA}${LD})?${LD}+`;
const THING = `${THING_PART}(?:${HYPHEN}${THING_PART})*`;
const THINGA = `[A-Z]+(?:(?:${SPAMP}|[+&])[A-Z]+)+`;
const THING3 = "[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?\\/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}";

const ACRO_SPECIAL = `${words("Canada|Sino|Korean|EU|Japan|non")}-${ci("U.S")}|${ci("U.S.-")}(?:${ci("U.K")}|${ci("U.S.S.R")})`;
/** Alternatives that can match different lengths are kept apart, so each rule takes the longest. */
const ACRO_ALTS = [ACRO_SPECIAL, "[A-Za-z](?:\\.[A-Za-z])*"];
const ACRO2 = `(?:${ACRO_SPECIAL}|[A-Za-z](?:\\.[A-Za-z])+)`;
const HTHING = `[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:${ACRO2}\\.|[A-Za-z0-9\\u00AD]+))+`;

// Abbreviations: literal words are caseless, a letter in brackets keeps its case.
const ABMONTH = words("Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec");
const ABDAYS = words("Mon|Tues|Tue|Wed|Thurs|Thu|Fri");
const ABSTATE =
  `(?:${words("Ala|Ariz|Calif|Colo|Conn|Ct|Dak|Fla|Ga|Ind|Kans|Kan|Ky|Md|Mich|Minn|Mo|Mont|Neb|Nev|Okla|Penn|Tenn|Va|Vt|Wisc|Wis|Wyo")}` +
  `|A${ci("z")}|A${ci("rk")}|D${ci("el")}|I${ci("ll")}|L${ci("a")}|M${ci("ass")}|M${ci("iss")}|O${ci("re")}|P${ci("a")}|T${ci("ex")}|W${ci("ash")})`;
const ABCOMP = `(?:${words("Inc|Cos|Co|Corp|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys")}|${ci("P")}${ci("p")}?${ci("t")}[ye]${ci("s")}?)`;
const ABNUM = words("tel|est|ext|sq");
const ABPTIT = `(?:${words("Jr|Sr|Bros|Blvd|Rd|Esq")}|${words("Ed|Ph")}\\.${ci("D")})`;
const ABBREV1 = `(?:${ABMONTH}|${ABDAYS}|${ABSTATE}|${ABCOMP}|${ABNUM}|${ABPTIT}|${words("etc|al|seq|Bldg")})\\.`;
const ABTITLE =
  `(?:${words("Mrs|Mr|Ms|Drs|Dr|Profs|Prof|Sens|Sen|Reps|Rep|Attys|Atty|Lt|Col|Gen|Messrs|Govs|Gov|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|Ste|St|Ave|Pres|Lieut|Hon|Brig|Comdr|Cmdr|Pfc|Spc|Supts|Supt|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc")}` +
  `|M${ci("iss")})`;
const ABCOMP2 = `(?:${words("Invt|Elec|Natl|Dept")}|${ci("M")}[ft]${ci("g")})`;
const ABBREV4_ALTS = [
  ABTITLE,
  words("vs|Alex|Wm|Jos|Cie|cf|TREAS|Ph"),
  ci("a.k.a"),
  ...ACRO_ALTS,
  ABCOMP2,
];
const ABBREV3 = `${words("ca|figs|fig|prop|nos|no|art|bldg|pp|op")}\\.`;
/** Words before which an acronym's period also ends the sentence (a bracketed letter keeps its case). */
const SENTENCE_STARTS = [
  "About",
  "According",
  "Additionally",
  "After",
  "An",
  "A",
  "As",
  "At",
  "But",
  "Earlier",
  "He",
  "Her",
  "Here",
  "However",
  "If",
  "In",
  "It",
  "Last",
  "Many",
  "More",
  "Mr.",
  "Ms.",
  "Now",
  "Once",
  "One",
  "Other",
  "Our",
  "She",
  "Since",
  "So",
  "Some",
  "Such",
  "That",
  "The",
  "Their",
  "Then",
  "There",
  "These",
  "They",
  "This",
  "We",
  "When",
  "While",
  "What",
  "Yet",
  "You",
]
  .map((w) => `${w[0]}${ci(w.slice(1))}`)
  .join("|");

const PHONE_A =
  "(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[\\- \\u00A0])?[0-9]{2,4}[\\- \\u00A0])[0-9]{3,4}[\\- \\u00A0]?[0-9]{3,5}";
const PHONE_B = "(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}";

const URL_STOP = ' \\t\\n\\f\\r"<>|(){}';
const FULLURL = `${ci("http")}${ci("s")}?:\\/\\/[^${URL_STOP}]+[^${URL_STOP}.!?,\\-]`;
// The lexer's second class really has the range `,-_` (U+002C to U+005F), kept as it is.
const LIKELYURL =
  `(?:${ci("www")}\\.(?:[^${URL_STOP}.!?,]+\\.)+[a-zA-Z]{2,4}` +
  `|(?:[^ \\t\\n\\f\\r"\`'<>|.!?(){}\\u002C-\\u005F$]+\\.)+${words("com|net|org|edu")})` +
  `(?:\\/[^ \\t\\n\\f\\r"<>|()]+[^${URL_STOP}.!?,\\-])?`;
const EMAIL_CHAR = '[^ \\t\\n\\f\\r"<>|(){}.\\u00A0]';
const EMAIL = `(?:${ci("&lt;")}|<)?[a-zA-Z0-9][^ \\t\\n\\f\\r"<>|()\\u00A0{}]*@(?:${EMAIL_CHAR}+\\.)*${EMAIL_CHAR}+(?:${ci("&gt;")}|>)?`;

const QUOTE_CHARS =
  "[`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091\\u0092\\u0093\\u0094\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]";
const DBLQUOT = `(?:"|${ci("&quot;")})`;
const SMILEY = "[<>]?[:;=][\\-o*']?[()DPdpO\\\\{@|\\[\\]]";
const ASIAN_SMILEYS = [
  // The lexer's first form escapes its second bracket, so it is a literal `[^x=~<>]`.
  `[\\^x=~<>]\\.\\[\\^${ci("x")}=~<>\\]`,
  "[\\-\\^x=~<>']_[\\-\\^x=~<>']",
  "\\([\\-\\^x=~<>'][_.]?[\\-\\^x=~<>']\\)",
  "\\([\\^x=~<>']-[\\^x=~<>'`]\\)",
];
const MISCSYMBOL =
  "[+%&~\\^|\\\\\\u00A6\\u00A7\\u00A8\\u00A9\\u00AC\\u00AE\\u00AF\\u00B0-\\u00B3\\u00B4-\\u00BA\\u00D7\\u00F7" +
  "\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4\\u0600-\\u0603\\u0606-\\u060A\\u060C\\u0614\\u061B" +
  "\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6\\u07F7\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016\\u2017" +
  "\\u2020-\\u2023\\u2030-\\u2038\\u203B\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E\\u2100-\\u214F" +
  "\\u2190-\\u21FF\\u2200-\\u2BFF\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20\\uFF3B-\\uFF40\\uFF5B-\\uFF65]";

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
