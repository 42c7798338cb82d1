// Helpers for the data tests: temp directories and small images, archives and specs written at
// test time (no checked-in binary fixtures).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { AllowedFolders } from "../../src/runtime/data/contained-file.js";
import {
  encodePng,
  IssueSink,
  SourceStream,
  type DataIssue,
  type DataLimits,
  type DataSpec,
  type RgbaImage,
  type SourceDocument,
  type SourceSpec,
} from "../../src/runtime/data/index.js";
import { DEFAULT_IMAGE_OPTIONS } from "../../src/runtime/data/spec.js";

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mmc-data-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A solid-colour PNG. */
export function solidPng(rgb: [number, number, number], w = 8, h = 8): Buffer {
  const data = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([rgb[0], rgb[1], rgb[2], 255], i * 4);
  return encodePng({ width: w, height: h, data });
}

/** The encoder module of @jsquash/webp as it behaves at run time. */
interface WebpEncodeModule {
  init(module: unknown): Promise<unknown>;
  default(
    image: { width: number; height: number; data: Uint8ClampedArray },
    options: { lossless?: number; quality?: number; exact?: number },
  ): Promise<ArrayBuffer>;
}
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<object> };
let webpEncoder: Promise<WebpEncodeModule["default"]> | undefined;

/**
 * Encodes RGBA pixels as WebP with libwebp (lossless unless a quality is given). The package picks
 * its SIMD build wherever wasm SIMD exists, as it does in every Node >= 16.4, so that is the wasm
 * handed to it.
 */
export async function encodeWebp(image: RgbaImage, quality?: number): Promise<Buffer> {
  webpEncoder ??= (async () => {
    const mod = (await import("@jsquash/webp/encode.js")) as unknown as WebpEncodeModule;
    const wasm = createRequire(import.meta.url).resolve(
      "@jsquash/webp/codec/enc/webp_enc_simd.wasm",
    );
    await mod.init(await WebAssembly.compile(readFileSync(wasm)));
    return mod.default;
  })();
  const encode = await webpEncoder;
  const data = new Uint8ClampedArray(image.data);
  const options = quality === undefined ? { lossless: 1, exact: 1 } : { quality };
  return Buffer.from(await encode({ width: image.width, height: image.height, data }, options));
}

export function writeJsonl(path: string, rows: unknown[]): void {
  writeFileSync(
    path,
    rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n",
  );
}

export function oneSource(
  baseDir: string,
  source: Omit<SourceSpec, "weight" | "name"> & { name?: string },
): DataSpec {
  return {
    name: "test",
    baseDir,
    sources: [{ name: source.name ?? "src", weight: 1, ...source }],
    weighting: "samples",
    imagesPerSequence: 4,
    tokenizer: { kind: "bytes" },
    seed: 7,
  };
}

export function collectIssues(): { issues: DataIssue[]; onWarning: (i: DataIssue) => void } {
  const issues: DataIssue[] = [];
  return { issues, onWarning: (i) => issues.push(i) };
}

/**
 * The documents and issues of one pass over one source (images 4 px), with the given absolute
 * roots and limits; with `strict` the first issue throws.
 */
export async function readOnePass(
  baseDir: string,
  source: Omit<SourceSpec, "weight" | "name">,
  options: { roots?: string[]; limits?: Partial<DataLimits>; strict?: boolean } = {},
): Promise<{ docs: SourceDocument[]; issues: DataIssue[]; sink: IssueSink }> {
  const issues: DataIssue[] = [];
  const live: { stream?: SourceStream } = {};
  const sink = new IssueSink({
    strict: options.strict,
    // the pass ends inside the call that starts the next one: keep the first pass's issues
    onWarning: (i) => void ((live.stream?.epoch ?? 0) === 0 && issues.push(i)),
    maxWarningsPerKind: 1000,
  });
  const ctx = {
    spec: { name: "src", weight: 1, ...source },
    issues: sink,
    image: { ...DEFAULT_IMAGE_OPTIONS, size: 4 },
    reported: new Set<string>(),
    allowed: new AllowedFolders(options.roots ?? []),
    ...(options.limits ? { limits: options.limits } : {}),
  };
  const stream = new SourceStream(ctx, baseDir, 0, 0);
  live.stream = stream;
  const docs: SourceDocument[] = [];
  try {
    while (stream.epoch === 0 && !stream.dead) {
      const doc = await stream.next();
      if (doc && stream.epoch === 0) docs.push(doc);
    }
  } finally {
    await stream.close();
  }
  return { docs, issues: issues.filter((i) => i.code !== "repeated-source"), sink };
}
