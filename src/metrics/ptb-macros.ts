// The regular-expression macros of Stanford CoreNLP 3.4.1's PTBLexer.flex (character classes,
// words, numbers, abbreviations, URLs, quotes) in JavaScript syntax, for the rules in ptb-rules.ts.
// The lexer is `%caseless`: literal letters match either case, character classes keep theirs.

/** A literal string, caseless. */
export function ci(literal: string): string {
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
export const words = (list: string): string => `(?:${list.split("|").map(ci).join("|")})`;

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
export const LETTER = `(?:${BMP}[\\p{L}${LETTER_EXTRA}]|${SPLET})`;
export const DIGIT = `(?:${BMP}\\p{Nd})`;
export const JLETTER = `(?:${BMP}\\p{L})`;
const LD = `(?:${BMP}[\\p{L}\\p{Nd}])`;
const UPPER = `(?:${BMP}\\p{Lu})`;

const SPACE_CHARS = " \\t\\u00A0\\u2000-\\u200A\\u3000";
const NEWLINE_CHARS = "\\n\\r\\u2028\\u2029\\u000B\\u000C\\u0085";
export const SPACE = `[${SPACE_CHARS}]`;
export const NEWLINE = `(?:\\r\\n|[${NEWLINE_CHARS}])`;
export const SPACENL = `(?:\\r\\n|[${SPACE_CHARS}${NEWLINE_CHARS}])`;
export const SPACENLS = `${SPACENL}+`;

const SGML_NAME = "[A-Za-z][A-Za-z0-9_:.\\-]*";
export const SGML =
  `<(?:[!?][A-Za-z\\-][^>\\r\\n]*` +
  `|${SGML_NAME}(?:[ ]+(?:${SGML_NAME}[ ]*=[ ]*(?:'[^']*'|"[^"]*")|${SGML_NAME}))*[ ]*\\/?` +
  `|\\/${SGML_NAME})[ ]*>`;
export const SENTEND = `${SPACENL}(?:${SPACENL}|${UPPER}|${SGML})`;

export const APOS = `(?:['\\u0092\\u2019]|${ci("&apos;")})`;
export const APOSETCETERA = `(?:${APOS}|[\`\\u0091\\u2018\\u201B])`;
const HYPHEN = "[\\-_\\u058A\\u2010\\u2011]";
export const SPAMP = ci("&amp;");

export const WORD = `${LETTER}(?:${LETTER}|${DIGIT})*(?:[.!?]${LETTER}(?:${LETTER}|${DIGIT})*)*`;
export const REDAUX = `${APOS}(?:[msdMSD]|${words("re|ve|ll")})`;
export const SWORD = "[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*";
export const SREDAUX = `${ci("n")}${APOSETCETERA}${ci("t")}`;

export const NUM_INT = `${DIGIT}+`;
export const NUM_FRAC = `${DIGIT}*(?:[.:,\\u00AD\\u066B\\u066C]${DIGIT}+)+`;
export const FRAC = `(?:${DIGIT}{1,4}[\\- \\u00A0])?${DIGIT}{1,4}(?:\\\\?\\/|\\u2044)${DIGIT}{1,4}`;

const FILENAME_EXT = words(
  "docx|html|java|jpeg|class|bat|bmp|cgi|cpp|dll|doc|exe|gif|htm|jar|jpg|mov|mp3|pdf|php|png|ppt|" +
    "sql|tar|txt|wav|xml|zip|gz|pl|ps|py|c|h|x",
);
const LETTER_DIGIT = `(?:${LETTER}|${DIGIT})`;
export const FILENAME = `${LETTER_DIGIT}+(?:\\.${LETTER_DIGIT}+)*\\.${FILENAME_EXT}`;
const THING_PART = `(?:[dDoOlL]${APOSETCETERA}${LD})?${LD}+`;
export const THING = `${THING_PART}(?:${HYPHEN}${THING_PART})*`;
export const THINGA = `[A-Z]+(?:(?:${SPAMP}|[+&])[A-Z]+)+`;
export const THING3 =
  "[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?\\/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}";

const ACRO_SPECIAL = `${words("Canada|Sino|Korean|EU|Japan|non")}-${ci("U.S")}|${ci("U.S.-")}(?:${ci("U.K")}|${ci("U.S.S.R")})`;
/** Alternatives that can match different lengths are kept apart, so each rule takes the longest. */
export const ACRO_ALTS = [ACRO_SPECIAL, "[A-Za-z](?:\\.[A-Za-z])*"];
const ACRO2 = `(?:${ACRO_SPECIAL}|[A-Za-z](?:\\.[A-Za-z])+)`;
export const HTHING = `[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:${ACRO2}\\.|[A-Za-z0-9\\u00AD]+))+`;

// Abbreviations: literal words are caseless, a letter in brackets keeps its case.
const ABMONTH = words("Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec");
const ABDAYS = words("Mon|Tues|Tue|Wed|Thurs|Thu|Fri");
const ABSTATE =
  `(?:${words("Ala|Ariz|Calif|Colo|Conn|Ct|Dak|Fla|Ga|Ind|Kans|Kan|Ky|Md|Mich|Minn|Mo|Mont|Neb|Nev|Okla|Penn|Tenn|Va|Vt|Wisc|Wis|Wyo")}` +
  `|A${ci("z")}|A${ci("rk")}|D${ci("el")}|I${ci("ll")}|L${ci("a")}|M${ci("ass")}|M${ci("iss")}|O${ci("re")}|P${ci("a")}|T${ci("ex")}|W${ci("ash")})`;
const ABCOMP = `(?:${words("Inc|Cos|Co|Corp|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys")}|${ci("P")}${ci("p")}?${ci("t")}[ye]${ci("s")}?)`;
const ABNUM = words("tel|est|ext|sq");
const ABPTIT = `(?:${words("Jr|Sr|Bros|Blvd|Rd|Esq")}|${words("Ed|Ph")}\\.${ci("D")})`;
export const ABBREV1 = `(?:${ABMONTH}|${ABDAYS}|${ABSTATE}|${ABCOMP}|${ABNUM}|${ABPTIT}|${words("etc|al|seq|Bldg")})\\.`;
const ABTITLE =
  `(?:${words("Mrs|Mr|Ms|Drs|Dr|Profs|Prof|Sens|Sen|Reps|Rep|Attys|Atty|Lt|Col|Gen|Messrs|Govs|Gov|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|Ste|St|Ave|Pres|Lieut|Hon|Brig|Comdr|Cmdr|Pfc|Spc|Supts|Supt|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc")}` +
  `|M${ci("iss")})`;
const ABCOMP2 = `(?:${words("Invt|Elec|Natl|Dept")}|${ci("M")}[ft]${ci("g")})`;
export const ABBREV4_ALTS = [
  ABTITLE,
  words("vs|Alex|Wm|Jos|Cie|cf|TREAS|Ph"),
  ci("a.k.a"),
  ...ACRO_ALTS,
  ABCOMP2,
];
export const ABBREV3 = `${words("ca|figs|fig|prop|nos|no|art|bldg|pp|op")}\\.`;
/** Words before which an acronym's period also ends the sentence; the first letter keeps its case. */
export const SENTENCE_STARTS =
  "About|According|Additionally|After|An|A|As|At|But|Earlier|He|Her|Here|However|If|In|It|Last|Many|More|Mr.|Ms.|Now|Once|One|Other|Our|She|Since|So|Some|Such|That|The|Their|Then|There|These|They|This|We|When|While|What|Yet|You"
    .split("|")
    .map((w) => `${w[0]}${ci(w.slice(1))}`)
    .join("|");

export const PHONE_A =
  "(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[\\- \\u00A0])?[0-9]{2,4}[\\- \\u00A0])[0-9]{3,4}[\\- \\u00A0]?[0-9]{3,5}";
export const PHONE_B = "(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}";

const URL_STOP = ' \\t\\n\\f\\r"<>|(){}';
export const FULLURL = `${ci("http")}${ci("s")}?:\\/\\/[^${URL_STOP}]+[^${URL_STOP}.!?,\\-]`;
// The lexer's second class really has the range `,-_` (U+002C to U+005F), kept as it is.
export const LIKELYURL =
  `(?:${ci("www")}\\.(?:[^${URL_STOP}.!?,]+\\.)+[a-zA-Z]{2,4}` +
  `|(?:[^ \\t\\n\\f\\r"\`'<>|.!?(){}\\u002C-\\u005F$]+\\.)+${words("com|net|org|edu")})` +
  `(?:\\/[^ \\t\\n\\f\\r"<>|()]+[^${URL_STOP}.!?,\\-])?`;
const EMAIL_CHAR = '[^ \\t\\n\\f\\r"<>|(){}.\\u00A0]';
export const EMAIL = `(?:${ci("&lt;")}|<)?[a-zA-Z0-9][^ \\t\\n\\f\\r"<>|()\\u00A0{}]*@(?:${EMAIL_CHAR}+\\.)*${EMAIL_CHAR}+(?:${ci("&gt;")}|>)?`;

export const QUOTE_CHARS =
  "[`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091\\u0092\\u0093\\u0094\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]";
export const DBLQUOT = `(?:"|${ci("&quot;")})`;
export const SMILEY = "[<>]?[:;=][\\-o*']?[()DPdpO\\\\{@|\\[\\]]";
export const ASIAN_SMILEYS = [
  // The lexer's first form escapes its second bracket, so it is a literal `[^x=~<>]`.
  `[\\^x=~<>]\\.\\[\\^${ci("x")}=~<>\\]`,
  "[\\-\\^x=~<>']_[\\-\\^x=~<>']",
  "\\([\\-\\^x=~<>'][_.]?[\\-\\^x=~<>']\\)",
  "\\([\\^x=~<>']-[\\^x=~<>'`]\\)",
];
export const MISCSYMBOL =
  "[+%&~\\^|\\\\\\u00A6\\u00A7\\u00A8\\u00A9\\u00AC\\u00AE\\u00AF\\u00B0-\\u00B3\\u00B4-\\u00BA\\u00D7\\u00F7" +
  "\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4\\u0600-\\u0603\\u0606-\\u060A\\u060C\\u0614\\u061B" +
  "\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6\\u07F7\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016\\u2017" +
  "\\u2020-\\u2023\\u2030-\\u2038\\u203B\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E\\u2100-\\u214F" +
  "\\u2190-\\u21FF\\u2200-\\u2BFF\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20\\uFF3B-\\uFF40\\uFF5B-\\uFF65]";
