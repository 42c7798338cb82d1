// The public runtime API that generated code imports as `mmc/runtime`: backend selection, the
// model built from the components' manifests, the layers, training, and checkpoints.
export {
  selectBackend,
  currentBackend,
  currentThreads,
  wasmThreadsWanted,
  wasmDistDir,
  BackendError,
  BACKEND_ORDER,
} from "./backend.js";
export { registerRuntimeGradients } from "./ops/gradients.js";
export { installWasmKernels } from "./ops/wasm-kernels.js";
export { microBatches, sliceRows, targetCount } from "./train/micro-batch.js";
export type { BackendChoice, BackendName, BackendOptions } from "./backend.js";
export { DEFAULT_WASM_THREADS, MAX_WASM_THREADS } from "./threads.js";
export { Params } from "./params.js";
export type { ParamScope } from "./params.js";
export { initValues, INIT_STD } from "./init.js";
export { MultimodalModel, shiftTargets } from "./model.js";
export type { ModelBatch, ModelPlan, ImageSlot, LossParts, BuiltPart } from "./model.js";
export { linear, matmul2d, bmm } from "./ops/matmul.js";
export { gatherRows, scatterAddRows } from "./ops/rows.js";
export { layerNorm, rmsNorm, applyNorm } from "./layers/norm.js";
export { applyRope, ropeTables, learnedPositions } from "./layers/positions.js";
export { attention, causalMask } from "./layers/attention.js";
export type { AttentionOptions, QkNorm } from "./layers/attention.js";
export { mlp, gelu, silu } from "./layers/mlp.js";
export { moe, route, expertCapacity } from "./layers/moe.js";
export type { MoeOptions, MoeOutput } from "./layers/moe.js";
export { decoderForward, decoderOptions, embedTokens, moeAuxLoss } from "./layers/decoder.js";
export type { DecoderOptions, MoeStats } from "./layers/decoder.js";
export { vitForward, vitOptions, patchify } from "./layers/vit.js";
export { connectorForward } from "./layers/connector.js";
export type { ConnectorKind } from "./layers/connector.js";
export { adaptiveAvgPool, poolingMatrix } from "./layers/pooling.js";
export { crossEntropy } from "./train/loss.js";
export { AdamW } from "./train/adamw.js";
export type { AdamWConfig } from "./train/adamw.js";
export { learningRate } from "./train/schedule.js";
export type { ScheduleConfig } from "./train/schedule.js";
export {
  train,
  trainStep,
  forwardCrossEntropy,
  NonFiniteLossError,
  LossExplodedError,
} from "./train/trainer.js";
export { DivergenceWatch, DIVERGENCE_FACTOR } from "./train/divergence.js";
export type {
  TrainOptions,
  TrainResult,
  StepMetrics,
  StepOptions,
  StepOutcome,
  BatchSource,
} from "./train/trainer.js";
export {
  saveCheckpoint,
  readCheckpoint,
  applyCheckpoint,
  CheckpointError,
} from "./checkpoint/checkpoint.js";
export type {
  CheckpointMeta,
  CheckpointState,
  LoadedCheckpoint,
  TensorRecord,
} from "./checkpoint/checkpoint.js";
export { newestVerified } from "./checkpoint/resume.js";
export { checkpointPath, listCheckpoints, DEFAULT_KEEP, POINTER_FILE } from "./checkpoint/store.js";
export { encodeSafetensors, decodeSafetensors } from "./checkpoint/safetensors.js";
export type { StTensor, StFile } from "./checkpoint/safetensors.js";

// What generated code needs beyond the layers: tfjs itself, the training driver and its command
// line, evaluation, and the spec-side types.
export * as tf from "@tensorflow/tfjs-core";
export { emptyMoeStats } from "./layers/decoder.js";
export { runTraining, RunError } from "./run/driver.js";
export type { RunConfig, RunOptions, RunSummary } from "./run/driver.js";
export { runMain, parseRunArgs, ensureSyntheticData, RunUsageError } from "./run/main.js";
export { evaluate, rotateImages } from "./run/evaluate.js";
export type { EvalResult } from "./run/evaluate.js";
export type { ModelInput } from "../components/model.js";
export type { DataSpec } from "./data/index.js";
