// Names every file can use without an import: the image type, optimizers, schedules, data-source
// formats and the bare words that data and train fields accept. Component kinds are not here:
// they come from `std/...` imports (see components/registry.ts).
import { ENUM_WORDS } from "../components/registry.js";

/** Callees usable anywhere: `Image[3, 224, 224]`, `AdamW { ... }`, `jsonl("...")`. */
export const BUILTIN_CALLEES: ReadonlySet<string> = new Set([
  "Image",
  "AdamW",
  "Cosine",
  "Linear",
  "Constant",
  "webdataset",
  "jsonl",
  "textfiles",
  "conversations",
  "gelu",
  "gelu_exact",
  "quick_gelu",
  "swiglu",
  "relu",
  "safetensors",
]);

/** Bare words accepted by data, train and sweep fields (`tokenizer: bytes`, `weighting: tokens`). */
export const BUILTIN_WORDS: ReadonlySet<string> = new Set([
  // a model's parts, for a train's `freeze`
  "vision",
  "connector",
  "llm",
  "bytes",
  "samples",
  "tokens",
  "caption",
  "interleaved",
  "text",
  "conversation",
  "fp32",
  "bf16",
  "fp16",
  "mixed",
  "loss",
  "caption_loss",
  "caption_accuracy",
  "text_loss",
  "params",
  "active_params",
  "image_tokens",
  "flops_per_token",
  "train_memory",
  "train_memory_per_device",
  "tokens_per_second",
  // a data block's `resize`
  "auto",
  "area",
  "bilinear",
  "bicubic",
  // a data block's `fit`
  "crop",
  "pad",
  // `init: safetensors(..., layout: hf)`
  "hf",
  "mmc",
]);

export function isKnownWord(word: string): boolean {
  return BUILTIN_WORDS.has(word) || ENUM_WORDS.has(word);
}
