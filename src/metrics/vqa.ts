// VQA accuracy exactly as the official VQAv2 evaluation (vqaEval.py) computes it: answers
// normalised (punctuation, periods, number words, articles, contractions) unless the ten human
// answers all agree, then min(matches among the other nine / 3, 1) averaged over the ten.
import { py2Lower, py2Split, py2Strip } from "./python-text.js";

/** vqaEval.py's `contractions` (keys as written; the capitalised ones never match lowercase text). */
const CONTRACTIONS: Readonly<Record<string, string>> = {
  aint: "ain't",
  arent: "aren't",
  cant: "can't",
  couldve: "could've",
  couldnt: "couldn't",
  "couldn'tve": "couldn't've",
  "couldnt've": "couldn't've",
  didnt: "didn't",
  doesnt: "doesn't",
  dont: "don't",
  hadnt: "hadn't",
  "hadnt've": "hadn't've",
  "hadn'tve": "hadn't've",
  hasnt: "hasn't",
  havent: "haven't",
  hed: "he'd",
  "hed've": "he'd've",
  "he'dve": "he'd've",
  hes: "he's",
  howd: "how'd",
  howll: "how'll",
  hows: "how's",
  "Id've": "I'd've",
  "I'dve": "I'd've",
  Im: "I'm",
  Ive: "I've",
  isnt: "isn't",
  itd: "it'd",
  "itd've": "it'd've",
  "it'dve": "it'd've",
  itll: "it'll",
  "let's": "let's",
  maam: "ma'am",
  mightnt: "mightn't",
  "mightnt've": "mightn't've",
  "mightn'tve": "mightn't've",
  mightve: "might've",
  mustnt: "mustn't",
  mustve: "must've",
  neednt: "needn't",
  notve: "not've",
  oclock: "o'clock",
  oughtnt: "oughtn't",
  "ow's'at": "'ow's'at",
  "'ows'at": "'ow's'at",
  "'ow'sat": "'ow's'at",
  shant: "shan't",
  "shed've": "she'd've",
  "she'dve": "she'd've",
  "she's": "she's",
  shouldve: "should've",
  shouldnt: "shouldn't",
  "shouldnt've": "shouldn't've",
  "shouldn'tve": "shouldn't've",
  // Reversed in the official table, kept so: "somebody'd" becomes "somebodyd".
  "somebody'd": "somebodyd",
  "somebodyd've": "somebody'd've",
  "somebody'dve": "somebody'd've",
  somebodyll: "somebody'll",
  somebodys: "somebody's",
  someoned: "someone'd",
  "someoned've": "someone'd've",
  "someone'dve": "someone'd've",
  someonell: "someone'll",
  someones: "someone's",
  somethingd: "something'd",
  "somethingd've": "something'd've",
  "something'dve": "something'd've",
  somethingll: "something'll",
  thats: "that's",
  thered: "there'd",
  "thered've": "there'd've",
  "there'dve": "there'd've",
  therere: "there're",
  theres: "there's",
  theyd: "they'd",
  "theyd've": "they'd've",
  "they'dve": "they'd've",
  theyll: "they'll",
  theyre: "they're",
  theyve: "they've",
  twas: "'twas",
  wasnt: "wasn't",
  "wed've": "we'd've",
  "we'dve": "we'd've",
  weve: "we've",
  werent: "weren't",
  whatll: "what'll",
  whatre: "what're",
  whats: "what's",
  whatve: "what've",
  whens: "when's",
  whered: "where'd",
  wheres: "where's",
  whereve: "where've",
  whod: "who'd",
  "whod've": "who'd've",
  "who'dve": "who'd've",
  wholl: "who'll",
  whos: "who's",
  whove: "who've",
  whyll: "why'll",
  whyre: "why're",
  whys: "why's",
  wont: "won't",
  wouldve: "would've",
  wouldnt: "wouldn't",
  "wouldnt've": "wouldn't've",
  "wouldn'tve": "wouldn't've",
  yall: "y'all",
  "yall'll": "y'all'll",
  "y'allll": "y'all'll",
  "yall'd've": "y'all'd've",
  "y'alld've": "y'all'd've",
  "y'all'dve": "y'all'd've",
  youd: "you'd",
  "youd've": "you'd've",
  "you'dve": "you'd've",
  youll: "you'll",
  youre: "you're",
  youve: "you've",
};

/** vqaEval.py's `manualMap`: number words to digits ("none" counts as zero). */
const NUMBER_WORDS: Readonly<Record<string, string>> = {
  none: "0",
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  ten: "10",
};

const ARTICLES: ReadonlySet<string> = new Set(["a", "an", "the"]);

/** vqaEval.py's `punct`, in its order (the order matters: each test reads the original text). */
const PUNCT = [
  ";",
  "/",
  "[",
  "]",
  '"',
  "{",
  "}",
  "(",
  ")",
  "=",
  "+",
  "\\",
  "_",
  "-",
  ">",
  "<",
  "@",
  "`",
  ",",
  "?",
  "!",
];

/** `commaStrip`: a comma between two digits (Python 2's `\d` without re.UNICODE is ASCII). */
const COMMA_BETWEEN_DIGITS = /[0-9],[0-9]/;
/** `periodStrip`, `(?!<=\d)(\.)(?!\d)`: its first group is a lookahead for the text `<=` and a
 *  digit, never true before a period, so it removes every period not followed by a digit. */
const PERIOD = /\.(?![0-9])/g;
/** `periodStrip.sub("", text, re.UNICODE)` passes re.UNICODE (32) as the `count` argument. */
const PERIOD_COUNT = 32;

/** vqaEval.py's `processPunctuation`. */
export function processPunctuation(inText: string): string {
  let out = inText;
  const commaBetweenDigits = COMMA_BETWEEN_DIGITS.test(inText);
  for (const p of PUNCT) {
    const touching = inText.includes(`${p} `) || inText.includes(` ${p}`);
    out = out.replaceAll(p, touching || commaBetweenDigits ? "" : " ");
  }
  let removed = 0;
  return out.replace(PERIOD, (dot) => (removed++ < PERIOD_COUNT ? "" : dot));
}

/** vqaEval.py's `processDigitArticle`: lowercase, number words to digits, articles out, contractions. */
export function processDigitArticle(inText: string): string {
  const words: string[] = [];
  for (const raw of py2Split(py2Lower(inText))) {
    // Own keys only: an answer such as "constructor" must not reach Object.prototype.
    const word = Object.hasOwn(NUMBER_WORDS, raw) ? (NUMBER_WORDS[raw] as string) : raw;
    if (!ARTICLES.has(word)) words.push(word);
  }
  return words
    .map((w) => (Object.hasOwn(CONTRACTIONS, w) ? (CONTRACTIONS[w] as string) : w))
    .join(" ");
}

/** Both normalisation steps, as applied to an answer when the human answers disagree. */
export function normalizeVqaAnswer(answer: string): string {
  return processDigitArticle(processPunctuation(answer));
}

/** Newlines and tabs become spaces, then the ends are stripped (applied to every answer). */
function clean(answer: string): string {
  return py2Strip(answer.replaceAll("\n", " ").replaceAll("\t", " "));
}

/**
 * The accuracy of one predicted answer against the human answers (ten in VQAv2): for each human
 * answer left out, min(1, matches among the others / 3); the mean over all of them. Answers are
 * normalised only when the human answers are not all the same string, as in vqaEval.py.
 */
export function vqaAccuracy(prediction: string, answers: readonly string[]): number {
  if (answers.length === 0) throw new RangeError("vqaAccuracy needs at least one human answer");
  let gts = answers.map(clean);
  let pred = clean(prediction);
  if (new Set(gts).size > 1) {
    gts = gts.map(normalizeVqaAnswer);
    pred = normalizeVqaAnswer(pred);
  }
  let sum = 0;
  for (let left = 0; left < gts.length; left++) {
    let matches = 0;
    for (let j = 0; j < gts.length; j++) if (j !== left && gts[j] === pred) matches++;
    sum += Math.min(1, matches / 3);
  }
  return sum / gts.length;
}

export interface VqaItem {
  prediction: string;
  answers: readonly string[];
  /** VQAv2's `answer_type`: "yes/no", "number" or "other". */
  answerType?: string;
  /** VQAv2's `question_type`, e.g. "what color is the". */
  questionType?: string;
}

export interface VqaScores {
  /** The mean accuracy in [0, 1]; vqaEval.py reports round(100 * overall, 2). */
  overall: number;
  perQuestion: number[];
  perAnswerType: Record<string, number>;
  perQuestionType: Record<string, number>;
}

/** Accuracy over a set of questions, overall and per answer and question type (plain means). */
export function vqaScores(items: readonly VqaItem[]): VqaScores {
  if (items.length === 0) throw new RangeError("vqaScores needs at least one question");
  const perQuestion = items.map((it) => vqaAccuracy(it.prediction, it.answers));
  const byAnswer = new Map<string, number[]>();
  const byQuestion = new Map<string, number[]>();
  items.forEach((it, i) => {
    const acc = perQuestion[i] as number;
    if (it.answerType !== undefined) pushTo(byAnswer, it.answerType, acc);
    if (it.questionType !== undefined) pushTo(byQuestion, it.questionType, acc);
  });
  return {
    overall: mean(perQuestion),
    perQuestion,
    perAnswerType: Object.fromEntries([...byAnswer].map(([k, v]) => [k, mean(v)])),
    perQuestionType: Object.fromEntries([...byQuestion].map(([k, v]) => [k, mean(v)])),
  };
}

function pushTo(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Python's `float(sum(xs)) / len(xs)`: left-to-right sum. */
function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
