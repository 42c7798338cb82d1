// The public face of src/components/: component kinds as pure data and arithmetic. The checker,
// `mmc info` and the runtime import from here.
export type * from "./types.js";
export {
  COMPONENT_KINDS,
  ENUM_WORDS,
  STD_MODULES,
  componentKind,
  stdModuleOf,
} from "./registry.js";
export { PROBLEM_CODES, problemCode, type ProblemCode } from "./problem-codes.js";
export { checkFieldValue, isConfig, isMlpValue, readFields } from "./fields.js";
export { countParams, numel } from "./blocks.js";
export { activeParams, componentSummary, moeRouting, type ComponentSummary } from "./counting.js";
export {
  PRECISION_BYTES,
  composeModel,
  type ModelInput,
  type ModelResult,
  type ModelSummary,
  type PartInput,
  type PartName,
  type PartSummary,
  type Precision,
  type TrainMemory,
  type TrainMemoryOptions,
} from "./model.js";
export { moeLayers } from "./moe.js";
export { decoderMoeLayers } from "./decoder.js";
