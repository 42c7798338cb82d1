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
export {
  installWasmKernels,
  setWasmGatherRows,
  setWasmIdentitySharing,
} from "./ops/wasm-kernels.js";
export {
  installWasmMatMul,
  setWasmMatMul,
  setWasmMatMulSwap,
  wasmKernelProducts,
} from "./ops/wasm-matmul.js";
export { microBatches, sliceRows, targetCount } from "./train/micro-batch.js";
export type { BackendChoice, BackendName, BackendOptions } from "./backend.js";
export { DEFAULT_WASM_THREADS, MAX_WASM_THREADS } from "./threads.js";
export { Params } from "./params.js";
export type { ParamScope } from "./params.js";
export { initValues, INIT_STD } from "./init.js";
export { MultimodalModel, placeImageTokens, shiftTargets } from "./model.js";
export type {
  ModelBatch,
  ModelCode,
  ModelPlan,
  ImageSlot,
  ForwardParts,
  LossParts,
  BuiltPart,
} from "./model.js";
export { linear, matmul2d, bmm } from "./ops/matmul.js";
export { gatherRows, scatterAddRows } from "./ops/rows.js";
export { layerNorm, rmsNorm, applyNorm } from "./layers/norm.js";
export { applyRope, ropeTables, learnedPositions } from "./layers/positions.js";
export { attention, causalMask } from "./layers/attention.js";
export type { AttentionOptions, QkNorm } from "./layers/attention.js";
export type { AttentionShape, NormKind } from "../components/blocks.js";
export { mlp, gelu, geluExact, quickGelu, silu } from "./layers/mlp.js";
export { moe, route, expertCapacity } from "./layers/moe.js";
export type { MoeRouting, MoeOutput } from "./layers/moe.js";
export { decoderForward, embedTokens, moeAuxLoss } from "./layers/decoder.js";
export type { MoeStats } from "./layers/decoder.js";
export { vitForward, patchify } from "./layers/vit.js";
export {
  attnPoolForward,
  avgPoolForward,
  cAbstractorForward,
  mlpProjectorForward,
} from "./layers/connector.js";
export { RUNTIME_KINDS, runtimeKind } from "./kinds.js";
export type { BoundConnector, BoundEncoder, RuntimeKind } from "./kinds.js";
// The typed resolved configs the layers take, from the component definitions.
export { decoderConfig } from "../components/decoder.js";
export type { DecoderConfig } from "../components/decoder.js";
export { moeConfig } from "../components/moe.js";
export type { MoeConfig } from "../components/moe.js";
export { vitConfig } from "../components/vit.js";
export type { VitConfig } from "../components/vit.js";
export { adaptiveAvgPool, poolingMatrix } from "./layers/pooling.js";
export { crossEntropy } from "./train/loss.js";
export { AdamW } from "./train/adamw.js";
export { FUSED_DEFAULT, setFusedOps, type FusedOp } from "./ops/fused-switch.js";
export { setRawDispatch } from "./ops/webgpu-raw.js";
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
export {
  runMain,
  runWithFlags,
  parseRunArgs,
  ensureSyntheticData,
  RunUsageError,
} from "./run/main.js";
export type { RunFlags } from "../spec/run-flags.js";
export type { RunSettings } from "../spec/run-config.js";
export { evaluate, rotateImages } from "./run/evaluate.js";
export type { EvalResult } from "./run/evaluate.js";
export type { ModelInput } from "../components/model.js";
export type { DataSpec } from "./data/index.js";

// Running a trained model: generation (the KV-cached decoder) and its command line.
export { decoderForwardCached, disposeCache, tidyStep } from "./layers/decoder-cached.js";
export type { KvCache, LayerKv, CachedOutput } from "./layers/decoder-cached.js";
export { generate, generateBatch, allowedIds } from "./generate/generate.js";
export type { BatchItem, Generation, GenerateOptions, StopReason } from "./generate/generate.js";
export { layoutPrompt, promptParts, IMAGE_MARKER } from "./generate/prompt.js";
export type { PromptDocument, PromptPart, LaidOutPrompt } from "./generate/prompt.js";
export { pickToken } from "./generate/sampling.js";
export type { SamplingOptions } from "./generate/sampling.js";
export { generateMain, openGenerator } from "./generate/main.js";
export type { GenerateCliOptions, Terminal } from "./generate/main.js";
export { loadTrainedModel } from "./generate/model-load.js";
export { evalMain, renderTable, evalTaskRecord } from "./generate/eval-main.js";
export type { EvalCliOptions } from "./generate/eval-main.js";
export { runTask } from "./generate/eval-tasks.js";
export type { TaskResult, SampleResult } from "./generate/eval-tasks.js";
export { chooseQueries, chooseShots, readTaskSamples } from "./generate/eval-samples.js";
export type { EvalTaskConfig } from "./run/run-config.js";
