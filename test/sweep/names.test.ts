// Point folder names come from user text (axis labels): whatever the labels, each name is one
// safe path segment of [a-z0-9-], bounded, unique in the sweep, and accepted by the reader.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { isSafeSegment } from "../../src/report/sweep-format.js";
import { isPointDir, MAX_SLUG, pointDirs, slug } from "../../src/sweep/names.js";

describe("point folder names", () => {
  test("labels become a readable slug", () => {
    expect(pointDirs([["AvgPool { tokens: 16 }", "Image[3, 64, 64]"]])).toEqual([
      "p0-avgpool-tokens-16-image-3-64-64",
    ]);
    expect(slug(["Ünïcode Ω", "x"])).toBe("unicode-x");
  });

  test("hostile labels stay inside the sweep folder", () => {
    const dirs = pointDirs([["../../etc/passwd"], ["\u001b[31mred"], ["/abs"], [".."], [""]]);
    expect(dirs).toEqual(["p0-etc-passwd", "p1-31mred", "p2-abs", "p3", "p4"]);
    for (const d of dirs) expect(isSafeSegment(d) && isPointDir(d)).toBe(true);
  });

  test("any labels: safe, bounded, unique names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: "grapheme" }), { minLength: 1, maxLength: 3 }), {
          maxLength: 30,
        }),
        (labels) => {
          const dirs = pointDirs(labels);
          expect(new Set(dirs).size).toBe(dirs.length);
          for (const d of dirs) {
            expect(d).toMatch(/^[a-z0-9-]+$/);
            expect(d.length).toBeLessThanOrEqual(`p${labels.length}-`.length + MAX_SLUG);
            expect(isSafeSegment(d)).toBe(true);
            expect(isPointDir(d)).toBe(true);
          }
        },
      ),
    );
  });
});
