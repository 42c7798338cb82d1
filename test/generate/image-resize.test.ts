// A prompt image is resampled with the mode it is given: generation and `mmc eval` pass the data
// block's `resize` (runtime/generate/main.ts, eval-during-run.ts), as training uses it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeImage, encodePng } from "../../src/runtime/data/image-decode.js";
import { preprocessImage } from "../../src/runtime/data/image-preprocess.js";
import { resolveImageOptions } from "../../src/runtime/data/spec.js";
import { loadImagePath } from "../../src/runtime/generate/images.js";
import { generatorImages } from "../../src/runtime/generate/main.js";
import { imageInput, type Generator } from "../../src/runtime/generate/request.js";
import type { RunConfig } from "../../src/runtime/run/run-config.js";
import { tempDir } from "../data/fixtures.js";

describe("a prompt image's resize", () => {
  const root = tempDir();

  it("follows the given mode, bicubic included", async () => {
    const [w, h] = [45, 30];
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([(i * 7) % 256, (i * 13) % 256, i % 256, 255], i * 4);
    const bytes = encodePng({ width: w, height: h, data });
    const path = join(root, "x.png");
    writeFileSync(path, bytes);
    const decoded = await decodeImage(new Uint8Array(bytes), 100);
    if (!decoded.ok) throw new Error(decoded.message);
    const want = (resize: "auto" | "bicubic") =>
      preprocessImage(decoded.image, resolveImageOptions({ size: 16, resize }));
    const auto = await loadImagePath(path, { size: 16 });
    const bicubic = await loadImagePath(path, { size: 16, resize: "bicubic" });
    if (!auto.ok || !bicubic.ok) throw new Error("the image did not load");
    expect(auto.pixels).toEqual(want("auto"));
    expect(bicubic.pixels).toEqual(want("bicubic"));
    expect(bicubic.pixels).not.toEqual(auto.pixels);
  });

  it("is handed from the data block to the generator and its image loads", () => {
    const config = (resize?: "bicubic") =>
      ({
        model: { image: [3, 16, 16] },
        imageTokens: 4,
        data: resize ? { resize } : {},
      }) as unknown as RunConfig;
    const g = generatorImages(config("bicubic"));
    expect(g).toEqual({ imageTokens: 4, imageSize: 16, imageResize: "bicubic" });
    expect(imageInput(g as Generator)).toEqual({ size: 16, resize: "bicubic" });
    expect(imageInput(generatorImages(config()) as Generator)).toEqual({ size: 16 });
  });
});
