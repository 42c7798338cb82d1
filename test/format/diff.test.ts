// The hunks `mmc fmt --check` shows: unified-diff line numbers and counts, context, grouping.
import { expect, test } from "vitest";
import { diffHunks } from "../../src/format/diff.js";

const text = (n: number, change: Record<number, string> = {}): string =>
  Array.from({ length: n }, (_, i) => change[i + 1] ?? `line ${i + 1}`).join("\n") + "\n";

test("one changed line gives one hunk with two lines of context on each side", () => {
  expect(diffHunks(text(10), text(10, { 5: "five" }))).toEqual([
    {
      oldStart: 3,
      oldLines: 5,
      newStart: 3,
      newLines: 5,
      lines: [" line 3", " line 4", "-line 5", "+five", " line 6", " line 7"],
    },
  ]);
});

test("changes far apart are separate hunks; close ones share a hunk", () => {
  expect(diffHunks(text(30), text(30, { 3: "x", 25: "y" })).map((h) => h.oldStart)).toEqual([
    1, 23,
  ]);
  expect(diffHunks(text(30), text(30, { 3: "x", 7: "y" }))).toHaveLength(1);
});

test("inserted and removed lines shift the new side's numbers", () => {
  const [h] = diffHunks("a\nb\nc\n", "a\nb\nb2\nc\n");
  expect(h).toEqual({
    oldStart: 1,
    oldLines: 3,
    newStart: 1,
    newLines: 4,
    lines: [" a", " b", "+b2", " c"],
  });
  const [d] = diffHunks("a\nb\nc\n", "a\nc\n");
  expect(d?.lines).toEqual([" a", "-b", " c"]);
});

test("equal texts, or texts that differ only in line endings, have no hunks", () => {
  expect(diffHunks("a\nb\n", "a\nb\n")).toEqual([]);
  expect(diffHunks("a\r\nb\r\n", "a\nb\n")).toEqual([]);
});
