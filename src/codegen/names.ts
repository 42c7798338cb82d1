// Names of generated files, shared by the code generator and `mmc run` (which must not load
// the generator's dependencies just to find a file).
import type { CheckedTrain } from "../check/ir.js";

/** File name of a train's entry point: `train-tiny.ts`. */
export function trainFile(t: CheckedTrain): string {
  return `train-${t.name.replace(/_/g, "-")}.ts`;
}
