// The catalogue of diagnostic codes. Codes are stable and never reused; ranges by stage:
// MM1xxx syntax, MM2xxx names, values and shapes, MM3xxx budgets, MM4xxx data, MM5xxx training,
// MM6xxx what a code-generation target cannot run (`mmc compile --target`).
// Each code has a long-form page in docs/errors/<CODE>.md (shown by `mmc explain CODE`).

export interface CodeInfo {
  readonly code: string;
  readonly title: string;
}

import { PROBLEM_CODES } from "../components/problem-codes.js";

const FRONT_END_CODES: readonly CodeInfo[] = [
  { code: "MM1001", title: "unexpected character" },
  { code: "MM1002", title: "unterminated string" },
  { code: "MM1003", title: "unterminated block comment" },
  { code: "MM1004", title: "unknown escape in a string" },
  { code: "MM1005", title: "malformed number or unknown unit" },
  { code: "MM1006", title: "file is not valid UTF-8" },
  { code: "MM1007", title: "unicode codepoint changing visible direction of text" },
  { code: "MM1008", title: "a word in a string mixes scripts" },
  { code: "MM1101", title: "unexpected token" },
  { code: "MM1102", title: "unclosed delimiter" },
  { code: "MM1103", title: "expected a declaration" },
  { code: "MM1104", title: "nesting too deep" },
  { code: "MM2001", title: "unknown name" },
  { code: "MM2002", title: "duplicate declaration" },
  { code: "MM2003", title: "import cycle" },
  { code: "MM2004", title: "imported file not found" },
  { code: "MM2005", title: "name not exported by the module" },
  { code: "MM2006", title: "unknown standard library module" },
  { code: "MM2007", title: "unknown field" },
  { code: "MM2008", title: "field given twice" },
  { code: "MM2009", title: "wrong kind of value" },
  { code: "MM2010", title: "value out of range" },
  { code: "MM2011", title: "missing field" },
  { code: "MM2012", title: "name refers to the wrong kind of declaration" },
  { code: "MM2013", title: "unused import" },
  { code: "MM2015", title: "declaration refers to itself" },
  { code: "MM2016", title: "absolute path in a spec" },
  { code: "MM2017", title: "control character in a path" },
  { code: "MM2019", title: "declarations or imports nested too deep" },
];

const CHECKER_CODES: readonly CodeInfo[] = [
  { code: "MM3001", title: "unknown budget quantity" },
  { code: "MM3002", title: "over budget" },
  { code: "MM3003", title: "training-memory bound not checked" },
  { code: "MM4001", title: "mixture weights do not add up" },
  { code: "MM4002", title: "inconsistent mixture weights" },
  { code: "MM4003", title: "unknown data format" },
  { code: "MM4004", title: "invalid data source arguments" },
  { code: "MM4005", title: "data source with weight 0" },
  { code: "MM4006", title: "data source kind unknown" },
  { code: "MM4007", title: "data mixture without sources" },
  { code: "MM4008", title: "`mix` does not match the sources" },
  { code: "MM4020", title: "malformed `tiles`" },
  { code: "MM4021", title: "bad or repeated tile grid" },
  { code: "MM5001", title: "sequence longer than the context" },
  { code: "MM5002", title: "images leave no room for text" },
  { code: "MM5003", title: "warm-up not shorter than the run" },
  { code: "MM5004", title: "checkpoint interval longer than the run" },
  { code: "MM5005", title: "vocabulary smaller than the tokenizer" },
  { code: "MM5010", title: "`freeze` names no part of a model" },
  { code: "MM5011", title: "`freeze` names a part the model lacks" },
  { code: "MM5012", title: "`freeze` path matches no tensor" },
  { code: "MM5013", title: "`freeze` freezes every parameter" },
  { code: "MM5014", title: "`freeze` is not a list of parts" },
  { code: "MM5015", title: "`init` does not name a train of this file" },
  { code: "MM5016", title: "`init` chain comes back to a train" },
  { code: "MM5017", title: "`init` names a train without checkpoints" },
  { code: "MM5018", title: "earlier stage's weights do not fit the model" },
  { code: "MM5019", title: "stage writes into the folder it starts from" },
  { code: "MM5020", title: "batch does not split over the devices" },
  { code: "MM5021", title: "`fit: pad` with a tiled model" },
  { code: "MM5101", title: "sweep cannot vary this path" },
  { code: "MM5102", title: "sweep axis without values" },
  { code: "MM5103", title: "unknown sweep metric" },
  { code: "MM5104", title: "sweep base is not a train" },
  { code: "MM5105", title: "sweep grid too large" },
  { code: "MM7001", title: "sweep axis repeats a value" },
  { code: "MM8001", title: "bad evaluation task" },
  { code: "MM8002", title: "evaluation shots do not fit the context" },
  { code: "MM9001", title: "bad `init` value" },
  { code: "MM9002", title: "weights file missing" },
  { code: "MM9003", title: "weights outside the spec's folder" },
  { code: "MM9004", title: "malformed safetensors header" },
  { code: "MM9005", title: "malformed sharded index" },
  { code: "MM9006", title: "malformed name map" },
  { code: "MM9007", title: "tensors missing from the weights" },
  { code: "MM9008", title: "weights hold tensors the model does not have" },
  { code: "MM9009", title: "weights of another shape" },
  { code: "MM9010", title: "weights of a dtype mmc does not read" },
  { code: "MM9011", title: "bf16 or fp16 weights widened to fp32" },
  { code: "MM9012", title: "`init` on a nested component" },
  { code: "MM9013", title: "name map names unknown tensors" },
  { code: "MM9014", title: "name map misses parameters" },
];

/**
 * Found at compile time for one target (src/codegen/pytorch/target.ts), not by `mmc check`.
 * Retired, never to be reused: MM6010 (the PyTorch target refused `tiles`; it tiles since) and
 * MM6020 (it refused `init: <train>`; it runs stages since).
 */
export const TARGET_CODES: readonly CodeInfo[] = [
  { code: "MM6001", title: "tokenizer the target cannot run" },
  { code: "MM6021", title: "benchmark tasks the target cannot score" },
];

/**
 * Codes no check reports any more, never to be reused. Each keeps its docs/errors page, which says
 * what it reported and why it is retired (`mmc explain` still prints it).
 */
export const RETIRED_CODES: readonly CodeInfo[] = [
  // benchmark tasks on a tiled model: generation tiles images since
  { code: "MM4024", title: "benchmark tasks on a tiled model (retired)" },
];

export function retiredInfo(code: string): CodeInfo | undefined {
  return RETIRED_CODES.find((c) => c.code === code);
}

const registry = new Map<string, CodeInfo>();

export function registerCodes(codes: readonly CodeInfo[]): void {
  for (const c of codes) registry.set(c.code, c);
}

registerCodes(FRONT_END_CODES);
registerCodes(CHECKER_CODES);
registerCodes(TARGET_CODES);
registerCodes(PROBLEM_CODES.filter((c) => !registry.has(c.code)));

export function codeInfo(code: string): CodeInfo | undefined {
  return registry.get(code);
}

export function allCodes(): CodeInfo[] {
  return [...registry.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
}
