// Helpers for the data tests: temp directories and small images, archives and specs written at
// test time (no checked-in binary fixtures).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import {
  encodePng,
  type DataIssue,
  type DataSpec,
  type RgbaImage,
  type SourceSpec,
} from "../../src/runtime/data/index.js";

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
