// sweep.json, the sweep folder's manifest: what the fixture writes parses back, and every
// malformed field is an error that names it.
import { describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  isSafeSegment,
  parseSweepManifest,
  SweepFormatError,
} from "../../src/report/sweep-format.js";
import { writeSweep } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "mmc-sweep-format-"));
const written = writeSweep(dir);
const text = readFileSync(join(dir, "sweep.json"), "utf8");

function mutate(f: (m: Record<string, unknown>) => void): string {
  const m = JSON.parse(text) as Record<string, unknown>;
  f(m);
  return JSON.stringify(m);
}
const point = (m: Record<string, unknown>, i = 0): Record<string, unknown> =>
  (m["points"] as Record<string, unknown>[])[i]!;

describe("parseSweepManifest", () => {
  test("reads back what the fixture generator writes", () => {
    const m = parseSweepManifest(text);
    expect(m).toEqual(written);
    expect(m.axes.map((a) => a.path)).toEqual(["model.connector", "model.image"]);
    expect(m.points).toHaveLength(6);
    expect(m.points[0]!.derived["params"]).toBe(587_456);
  });

  test("report defaults to loss; derived and fingerprint are optional", () => {
    const m = parseSweepManifest(
      mutate((m) => {
        delete m["report"];
        delete point(m)["derived"];
        delete point(m)["fingerprint"];
      }),
    );
    expect(m.report).toEqual(["loss"]);
    expect(m.points[0]!.derived).toEqual({});
    expect(m.points[0]!.fingerprint).toBeUndefined();
  });

  const bad: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ["a newer format", (m) => (m["format"] = 2), /`format` is 2, newer than this mmc reads \(1\)/],
    ["no format", (m) => delete m["format"], /`format` must be 1/],
    ["no sweep name", (m) => (m["sweep"] = ""), /`sweep` must be a non-empty string/],
    ["axes not a list", (m) => (m["axes"] = {}), /`axes` must be a list/],
    [
      "a label that is not a string",
      (m) => ((m["axes"] as { labels: unknown[] }[])[0]!.labels[0] = 3),
      /`axes\[0\]\.labels\[0\]`/,
    ],
    [
      "a point with too few labels",
      (m) => (point(m)["labels"] = ["AvgPool { tokens: 16 }"]),
      /`points\[0\]\.labels` has 1 labels for 2 axes/,
    ],
    [
      "a label no axis has",
      (m) => ((point(m)["labels"] as string[])[1] = "Image[3, 1, 1]"),
      /`points\[0\]\.labels\[1\]` is not one of the labels of axis `model.image`/,
    ],
    ["a repeated id", (m) => (point(m, 1)["id"] = "p0"), /`points\[1\]\.id` repeats/],
    [
      "a folder outside the sweep",
      (m) => (point(m)["dir"] = "../elsewhere"),
      /`points\[0\]\.dir` must be one folder name/,
    ],
    [
      "an absolute folder",
      (m) => (point(m)["dir"] = "/etc"),
      /`points\[0\]\.dir` must be one folder name/,
    ],
    [
      "a repeated folder",
      (m) => (point(m, 1)["dir"] = point(m)["dir"]),
      /`points\[1\]\.dir` repeats/,
    ],
    [
      "an unknown status",
      (m) => (point(m)["status"] = "finished"),
      /`points\[0\]\.status` must be one of "done", "running", "pending", "failed"/,
    ],
    [
      "a derived value that is not a number",
      (m) => ((point(m)["derived"] as Record<string, unknown>)["params"] = "1M"),
      /`points\[0\]\.derived\.params` must be a finite number/,
    ],
    ["points not objects", (m) => (m["points"] = [1]), /`points\[0\]` must be an object/],
  ];
  test.each(bad)("%s is an error naming the field", (_, f, message) => {
    expect(() => parseSweepManifest(mutate(f))).toThrow(SweepFormatError);
    expect(() => parseSweepManifest(mutate(f))).toThrow(message);
  });

  test("text that is not JSON, or not an object", () => {
    expect(() => parseSweepManifest("{")).toThrow(/sweep.json is not valid JSON/);
    expect(() => parseSweepManifest("[]")).toThrow(/must be an object/);
  });
});

test("point folders are single safe segments", () => {
  for (const ok of ["p0-avgpool-64px", "p1.x_y", "P2"]) expect(isSafeSegment(ok)).toBe(true);
  for (const bad of ["", ".", "..", "a/b", "a\\b", "../x", "/abs", "a b", "é", "x".repeat(201)])
    expect(isSafeSegment(bad)).toBe(false);
});
