// The sizes past which data is refused before it is read, allocated or decoded, so a hostile or
// damaged file costs milliseconds and a bounded amount of memory. Each is a named default that a
// DataStream can lower (tests do, to exercise them cheaply).

/** Bytes read from one image file, or held from one tar member. */
export const MAX_FILE_BYTES = 64 * 2 ** 20;
/** Pixels of one image (width x height from its header), in millions. */
export const MAX_MEGAPIXELS = 64;
/** Bytes of one JSONL or text line; a longer line is skipped without being held. */
export const MAX_LINE_BYTES = 16 * 2 ** 20;
/** Images one record (an interleaved document) may name. */
export const MAX_IMAGES_PER_RECORD = 64;
/** Pixels of all the images of one record together, in millions. */
export const MAX_RECORD_MEGAPIXELS = 256;
/** Members of one WebDataset sample (tar entries sharing a key). */
export const MAX_SAMPLE_MEMBERS = 32;
/** Bytes of one WebDataset sample, all its members together. */
export const MAX_SAMPLE_BYTES = 128 * 2 ** 20;
/** A pax extended header or GNU long name in a tar archive. */
export const MAX_TAR_HEADER_BYTES = 2 ** 20;
/** Bytes of records held by a source's shuffle buffer before it gives records out early. */
export const MAX_SHUFFLE_BYTES = 512 * 2 ** 20;
/** A tokenizer.json and its config. */
export const MAX_TOKENIZER_BYTES = 256 * 2 ** 20;

export interface DataLimits {
  fileBytes: number;
  megapixels: number;
  lineBytes: number;
  imagesPerRecord: number;
  recordMegapixels: number;
  sampleMembers: number;
  sampleBytes: number;
  shuffleBytes: number;
}

export const DEFAULT_LIMITS: Readonly<DataLimits> = {
  fileBytes: MAX_FILE_BYTES,
  megapixels: MAX_MEGAPIXELS,
  lineBytes: MAX_LINE_BYTES,
  imagesPerRecord: MAX_IMAGES_PER_RECORD,
  recordMegapixels: MAX_RECORD_MEGAPIXELS,
  sampleMembers: MAX_SAMPLE_MEMBERS,
  sampleBytes: MAX_SAMPLE_BYTES,
  shuffleBytes: MAX_SHUFFLE_BYTES,
};

export function resolveLimits(partial: Partial<DataLimits> | undefined): DataLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}

/** "64 MiB", "512 KiB", "900 bytes": a byte count for messages. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}
