// The data pipeline's public API: read sources, mix them, pack sequences. Runtime library
// code; it never imports the compiler stages (the tools that write and inspect corpora are in
// ../data-tools/).
export type { DataSpec, SourceSpec, ImageOptions, ResizeMode } from "./spec.js";
export { CLIP_MEAN, CLIP_STD, DEFAULT_IMAGE_OPTIONS, resolveImageOptions } from "./spec.js";
export type { DataIssue, DataIssueCode, WarningHandler, IssueOptions } from "./issues.js";
export { DataError, IssueSink, renderIssue } from "./issues.js";
export type { Tokenizer, SpecialTokens } from "./tokenizer.js";
export { ByteTokenizer, BYTE_SPECIAL } from "./tokenizer.js";
export { BpeTokenizer } from "./bpe-tokenizer.js";
export type { DataStreamOptions, DataStreamState, SourceStats, Batch } from "./data-stream.js";
export { DataStream, openDataStream, collateBatch, loadTokenizer } from "./data-stream.js";
export type {
  PackedSequence,
  ImageSlot,
  PackedDocument,
  PackerStats,
  PackerState,
  PackOptions,
} from "./packer.js";
export { SequencePacker, imagesIn } from "./packer.js";
export type { SamplerState, SourceCursor, SamplerOptions } from "./mixture-sampler.js";
export { MixtureSampler } from "./mixture-sampler.js";
export type { TokenizedDocument, TokenPart } from "./tokenize-document.js";
export { tokenizeDocument } from "./tokenize-document.js";
export {
  ASSISTANT_TAG,
  IMAGE_MARKER,
  parseConversation,
  TURN_END,
  USER_TAG,
} from "./conversation.js";
export type { Conversation, ConversationSegment } from "./conversation.js";
export type { SourceDocument, DocPart } from "./document.js";
export { SourceStream, sourceFiles } from "./source-stream.js";
export type { SourceStreamState } from "./source-stream.js";
export { Prng, mixSeed } from "./prng.js";
export type { PrngState } from "./prng.js";
export { expandBraces } from "./brace-expand.js";
export { readTar, TarFormatError } from "./tar-reader.js";
export type { TarEntry } from "./tar-reader.js";
export { checkImageHeader, decodeImage, encodePng, sniffImageFormat } from "./image-decode.js";
export type { DecodeResult, RgbaImage } from "./image-decode.js";
export { readImageHeader } from "./image-header.js";
export type { HeaderResult, ImageHeader } from "./image-header.js";
export { DEFAULT_LIMITS, MAX_FILE_BYTES, MAX_LINE_BYTES, MAX_MEGAPIXELS } from "./limits.js";
export type { DataLimits } from "./limits.js";
export { escapeControls, showText } from "./show-text.js";
export { renderSkipSummary, reportSkipped, skipRecord, skipSummary } from "./skip-summary.js";
export type { SkipSummary, SourceSkips } from "./skip-summary.js";
export { preprocessImage, resizeRegion } from "./image-preprocess.js";
export { resampleBicubic, shortestEdgeSize } from "./resample-bicubic.js";
export { tileImage } from "./image-tiles.js";
export type { TiledImage } from "./image-tiles.js";
export { readCocoCaptions } from "./read-coco.js";
export type { CocoCaptionOptions, CocoCaptionSet, CocoImage } from "./read-coco.js";
export { cocoImageStem, readVqa } from "./read-vqa.js";
export type { VqaHumanAnswer, VqaQuestion, VqaReadOptions, VqaSet } from "./read-vqa.js";
export type { BenchmarkCounts, BenchmarkOptions } from "./benchmark-files.js";
