// The committed weights of the golden cases (test/golden/init/weights/) are exactly what the
// fixture writer makes; `MMC_UPDATE_GOLDEN=1` writes them.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { writeFixture } from "./hf-fixtures.js";
import { goldenWeights } from "./golden-weights.js";

const DIR = join(import.meta.dirname, "..", "golden", "init", "weights");

describe("golden init weights", () => {
  for (const [rel, bytes] of goldenWeights()) {
    test(rel, () => {
      const path = join(DIR, rel);
      if (process.env["MMC_UPDATE_GOLDEN"] === "1" || !existsSync(path)) writeFixture(path, bytes);
      expect(Buffer.compare(readFileSync(path), Buffer.from(bytes))).toBe(0);
    });
  }
});
