// Helpers for the data tests: temp directories and small images, archives and specs written at
// test time (no checked-in binary fixtures).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import {
  encodePng,
  type DataIssue,
  type DataSpec,
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
