// Evaluation metrics as the standard tools define them: CIDEr-D with the COCO caption
// evaluation's PTB tokenization, and VQAv2 accuracy. Pure functions; docs/eval.md has the formulas.
export { ciderD, cocoCiderD, ngramCounts, numpyMean } from "./cider.js";
export type { CaptionImage, CiderOptions, CiderResult } from "./cider.js";
export { ptbLexLines, ptbTokenize, ptbTokenizeCaptions, PTB_PUNCTUATIONS } from "./ptb-tokenize.js";
export {
  normalizeVqaAnswer,
  processDigitArticle,
  processPunctuation,
  vqaAccuracy,
  vqaScores,
} from "./vqa.js";
export type { VqaItem, VqaScores } from "./vqa.js";
