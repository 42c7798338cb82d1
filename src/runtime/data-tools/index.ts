// The data tools behind `mmc data synth` and `mmc data inspect` (and the training program's
// starter corpus): the synthetic corpus with its evaluation and instruction splits, the tar
// writer, and the mixture inspector. They use the data readers in ../data/; the readers never
// import them.
export { writeTar } from "./tar-writer.js";
export { synthesize, synthSpec } from "./synthesize.js";
export type { SynthOptions, SynthResult } from "./synthesize.js";
export { addMissingInstructSplit, INSTRUCT_FILE } from "./synth-instruct.js";
export { describeScene, renderScene, randomScene } from "./synth-scene.js";
export type { Scene } from "./synth-scene.js";
export { inspect, renderInspect, renderSequence } from "./inspect.js";
export type { InspectOptions, InspectResult, InspectSource } from "./inspect.js";
