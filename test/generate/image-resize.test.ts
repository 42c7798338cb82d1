// A prompt image is resampled with the mode it is given: generation and `mmc eval` pass the data
// block's `resize` and `fit` (runtime/generate/main.ts, eval-during-run.ts), as training uses them.
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

  it("pads with `fit: pad` as training does, and refuses a square past the limit", async () => {
    const [w, h] = [45, 30];
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([(i * 5) % 256, (i * 11) % 256, i % 256, 255], i * 4);
    const path = join(root, "wide.png");
    writeFileSync(path, encodePng({ width: w, height: h, data }));
    const decoded = await decodeImage(
      new Uint8Array(encodePng({ width: w, height: h, data })),
      100,
    );
    if (!decoded.ok) throw new Error(decoded.message);
    for (const resize of ["auto", "bicubic"] as const) {
      const padded = await loadImagePath(path, { size: 16, resize, fit: "pad" });
      const cropped = await loadImagePath(path, { size: 16, resize });
      if (!padded.ok || !cropped.ok) throw new Error("the image did not load");
      const want = preprocessImage(
        decoded.image,
        resolveImageOptions({ size: 16, resize, fit: "pad" }),
      );
      expect(padded.pixels).toEqual(want);
      expect(padded.pixels).not.toEqual(cropped.pixels);
    }
    const thin = join(root, "thin.png");
    writeFileSync(thin, encodePng({ width: 8001, height: 1, data: new Uint8Array(8001 * 4) }));
    const refused = await loadImagePath(thin, { size: 16, fit: "pad" });
    expect(refused).toEqual({
      ok: false,
      message:
        "image `" +
        thin +
        "`: image is 8001x1; `fit: pad` makes it a 8001x8001 square (65 MP), over the 64 MP limit",
    });
    expect((await loadImagePath(thin, { size: 16 })).ok).toBe(true);
  });

  it("hands `fit` from the data block to the generator", () => {
    const config = { model: { image: [3, 16, 16] }, imageTokens: 4, data: { fit: "pad" } };
    const g = generatorImages(config as unknown as RunConfig);
    expect(g).toEqual({ imageTokens: 4, imageSize: 16, imageFit: "pad" });
    expect(imageInput(g as Generator)).toEqual({ size: 16, fit: "pad" });
  });
});
