// Names of generated files, shared by the code generator and `mmc run` (which must not load
// the generator's dependencies just to find a file).
import type { CheckedTrain } from "../check/ir.js";
import { tsIdentifier } from "./escape.js";

/** File name of a train's entry point: `train-tiny.ts` (a train's name is an identifier). */
export function trainFile(t: CheckedTrain): string {
  return `train-${tsIdentifier(t.name).replace(/_/g, "-")}.ts`;
}
