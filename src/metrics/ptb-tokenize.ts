// PTB tokenization as the COCO caption evaluation (pycocoevalcap) applies it: Stanford's
// PTBTokenizer with `-preserveLines -lowerCase` over all captions joined by newlines, then the
// tokens in its PUNCTUATIONS list dropped. The lexer runs longest-match over PTB_RULES.
import { PTB_RULES, type PtbRule } from "./ptb-rules.js";
import { py3Rstrip } from "./python-text.js";

/** pycocoevalcap's PUNCTUATIONS: removed after tokenizing. They are matched after lowercasing,
 *  so `-LRB-` and `-RRB-` (the tokens for parentheses) never match and stay, as `-lrb-`/`-rrb-`. */
export const PTB_PUNCTUATIONS: ReadonlySet<string> = new Set([
  "''",
  "'",
  "``",
  "`",
  "-LRB-",
  "-RRB-",
  "-LCB-",
  "-RCB-",
  ".",
  "?",
  "!",
  ",",
  ":",
  "-",
  "--",
  "...",
  ";",
]);

interface Match {
  rule: PtbRule;
  /** Characters matched, trailing context included: what longest-match compares. */
  total: number;
  token: string;
}

const SPACE_RUN = /[ \t\u00A0\u2000-\u200A\u3000]+/y;

interface GatedRule {
  rule: PtbRule;
  open: (pos: number) => boolean;
}

function longestMatch(text: string, pos: number, rules: readonly GatedRule[]): Match | undefined {
  let best: Match | undefined;
  for (const { rule, open } of rules) {
    if (!open(pos)) continue;
    for (const re of rule.patterns) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) continue;
      const total = m[0].length;
      // Ties go to the earlier rule: only a strictly longer match replaces the best.
      if (total > 0 && (!best || total > best.total)) best = { rule, total, token: m[1] ?? m[0] };
    }
  }
  return best;
}

/**
 * The lexer's tokens for `text`, one list per line (the `-preserveLines` output), before
 * lowercasing. Newline characters end lines; every other character is in some token or skipped.
 */
export function ptbLexLines(text: string): string[][] {
  const lines: string[][] = [[]];
  const always = () => true;
  const rules = PTB_RULES.map((rule) => ({ rule, open: rule.gate ? rule.gate(text) : always }));
  let pos = 0;
  while (pos < text.length) {
    // No rule but the whitespace one can start with a space or a tab: skip the run at once.
    const c = text.charCodeAt(pos);
    if (c === 0x20 || c === 0x09) {
      SPACE_RUN.lastIndex = pos;
      SPACE_RUN.test(text);
      pos = SPACE_RUN.lastIndex;
      continue;
    }
    const m = longestMatch(text, pos, rules);
    if (!m) throw new Error(`internal: no PTB rule matched at ${pos}`);
    const { action } = m.rule;
    const line = lines[lines.length - 1] as string[];
    let used = m.token.length;
    switch (action.kind) {
      case "emit":
        line.push(action.map ? action.map(m.token) : m.token);
        break;
      case "skip":
        break;
      case "newline":
        lines.push([]);
        break;
      case "pushback":
        used = m.token.length - action.back;
        line.push(m.token.slice(0, used));
        break;
      case "reduplicate":
        line.push(m.token);
        used = m.token.length - 1;
        break;
      case "acronym":
        used = m.token.length - 1;
        line.push(m.token.length === 2 ? m.token.slice(0, 1) : m.token);
        break;
    }
    if (used <= 0)
      throw new Error(`internal: PTB rule \`${m.rule.name}\` consumed nothing at ${pos}`);
    pos += used;
  }
  return lines;
}

// pycocoevalcap turns `\n` in a caption into a space; the other characters the lexer reads as a
// line end would shift every later caption onto the wrong image there, so they become spaces too.
const LINE_BREAKS = /\r\n|[\n\r\u2028\u2029\u000B\u000C]/g;

/**
 * Tokenizes captions the way pycocoevalcap's PTBTokenizer does: lexed together, one per line, in
 * the order given (the lexer looks past a line end for a few abbreviations), lowercased, with
 * the PUNCTUATIONS tokens removed and the rest joined by single spaces.
 */
export function ptbTokenizeCaptions(captions: readonly string[]): string[] {
  if (captions.length === 0) return [];
  const text = captions.map((c) => c.replace(LINE_BREAKS, " ")).join("\n");
  const lines = ptbLexLines(text);
  if (lines.length !== captions.length)
    throw new Error(`internal: ${captions.length} captions became ${lines.length} lines`);
  return lines.map((tokens) => {
    const joined = py3Rstrip(tokens.map((t) => t.toLowerCase()).join(" "));
    return joined
      .split(" ")
      .filter((w) => !PTB_PUNCTUATIONS.has(w))
      .join(" ");
  });
}

/** One caption on its own (no following caption to look ahead into). */
export function ptbTokenize(caption: string): string {
  return ptbTokenizeCaptions([caption])[0] as string;
}
