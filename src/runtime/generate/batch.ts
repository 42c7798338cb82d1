// The batch mode's requests file: one JSON object a line, each line bounded in bytes and the file
// in lines; a bad line is reported with its number and skipped, the others are answered.
import type { FileHandle } from "node:fs/promises";
import { openByteStream, readLines } from "../data/line-reader.js";
import { showText } from "../data/show-text.js";
import type { SamplingOptions } from "./sampling.js";

/** A request line longer than this is skipped unread (prompts are short next to it). */
export const MAX_REQUEST_LINE_BYTES = 1024 * 1024;
export const MAX_REQUESTS = 100_000;
export const MAX_REQUEST_IMAGES = 64;

export interface RequestLine {
  readonly line: number;
  readonly id?: string | number;
  readonly prompt: string;
  /** As written, relative to the requests file. */
  readonly images: readonly string[];
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
}

export type ParsedLine =
  { ok: true; request: RequestLine } | { ok: false; line: number; message: string };

export interface RequestDefaults {
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
}

const FIELDS = ["id", "prompt", "images", "max_tokens", "temperature", "top_k", "top_p", "seed"];

function numberField(
  o: Record<string, unknown>,
  name: string,
  check: (v: number) => boolean,
  what: string,
): number | undefined | string {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !check(v)) return `\`${name}\` must be ${what}`;
  return v;
}

/** One line's request, or why it cannot be used. */
export function parseRequestLine(text: string, line: number, d: RequestDefaults): ParsedLine {
  const bad = (message: string): ParsedLine => ({ ok: false, line, message });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad("not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    return bad('a request is a JSON object like {"prompt": "...", "images": ["a.png"]}');
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined)
    return bad(`unknown field \`${showText(unknown, 40)}\` (fields: ${FIELDS.join(", ")})`);
  if (typeof o["prompt"] !== "string") return bad("`prompt` must be a string");
  const images = o["images"] ?? [];
  if (!Array.isArray(images) || images.some((x) => typeof x !== "string"))
    return bad("`images` must be a list of file names");
  if (images.length > MAX_REQUEST_IMAGES)
    return bad(`\`images\` lists ${images.length} files, over the limit of ${MAX_REQUEST_IMAGES}`);
  const id = o["id"];
  if (id !== undefined && typeof id !== "string" && typeof id !== "number")
    return bad("`id` must be a string or a number");
  const int = (x: number) => Number.isSafeInteger(x) && x >= 0;
  const maxTokens = numberField(
    o,
    "max_tokens",
    (x) => int(x) && x >= 1,
    "a whole number of at least 1",
  );
  const temperature = numberField(o, "temperature", (x) => x >= 0 && x <= 100, "from 0 to 100");
  const topK = numberField(o, "top_k", int, "a whole number (0: all)");
  const topP = numberField(o, "top_p", (x) => x > 0 && x <= 1, "above 0 and at most 1");
  const seed = numberField(o, "seed", (x) => int(x) && x < 2 ** 32, "a whole number below 2^32");
  for (const f of [maxTokens, temperature, topK, topP, seed])
    if (typeof f === "string") return bad(f);
  const num = (x: number | string | undefined) => x as number | undefined;
  const sampling: SamplingOptions = {
    temperature: num(temperature) ?? d.sampling.temperature,
    ...((num(topK) ?? d.sampling.topK) !== undefined
      ? { topK: (num(topK) ?? d.sampling.topK) as number }
      : {}),
    ...((num(topP) ?? d.sampling.topP) !== undefined
      ? { topP: (num(topP) ?? d.sampling.topP) as number }
      : {}),
  };
  return {
    ok: true,
    request: {
      line,
      ...(id !== undefined ? { id } : {}),
      prompt: o["prompt"],
      images: images as string[],
      maxTokens: num(maxTokens) ?? d.maxTokens,
      sampling,
      seed: num(seed) ?? d.seed,
    },
  };
}

/** The opened file's lines (the stream closes it), parsed; blank lines are passed over; at most MAX_REQUESTS requests. */
export async function* readRequests(
  handle: FileHandle,
  d: RequestDefaults,
): AsyncGenerator<ParsedLine> {
  let count = 0;
  for await (const l of readLines(openByteStream(handle, false), false, MAX_REQUEST_LINE_BYTES)) {
    if (l.tooLong !== undefined) {
      yield {
        ok: false,
        line: l.lineNo,
        message: `the line is ${l.tooLong} bytes, over the ${MAX_REQUEST_LINE_BYTES}-byte limit for one request`,
      };
      continue;
    }
    if (l.text.trim() === "") continue;
    if (++count > MAX_REQUESTS) {
      yield {
        ok: false,
        line: l.lineNo,
        message: `more than ${MAX_REQUESTS} requests: the rest of the file is not read; split it`,
      };
      return;
    }
    yield parseRequestLine(l.text, l.lineNo, d);
  }
}
