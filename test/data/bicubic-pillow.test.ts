// Differential: resampleBicubic (src/runtime/data/resample-bicubic.ts), and the PyTorch target's
// data_image.py `_bicubic`, against Pillow itself, `Image.resize((w, h), Image.BICUBIC, box)` on
// 8-bit RGB, byte for byte. Sizes and boxes come from fast-check (1xN, tiny, odd, shrinking and
// enlarging, extreme ratios, fractional boxes, output windows as CLIP's centre crop takes); all
// cases go to one Python process. Then `fit: pad` with `resize: bicubic`, both targets, against
// LLaVA-1.5's expand2square and CLIPImageProcessor written here with Pillow. Skipped, with a
// notice, where Pillow is missing.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RgbaImage } from "../../src/runtime/data/image-decode.js";
import {
  resampleBicubic,
  shortestEdgeSize,
  type OutputWindow,
  type ResampleBox,
} from "../../src/runtime/data/resample-bicubic.js";
import { Prng } from "../../src/runtime/data/index.js";
import { preprocessImage } from "../../src/runtime/data/image-preprocess.js";
import { CLIP_MEAN, CLIP_STD, resolveImageOptions } from "../../src/runtime/data/spec.js";
import { tempDir } from "./fixtures.js";

const PYTHON = process.env["MMC_PYTHON"] ?? "/usr/bin/python3";
const MODULE = join(import.meta.dirname, "../../src/codegen/pytorch/py");

function missingPillow(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} does not exist (set MMC_PYTHON to a Python 3)`;
  const probe = spawnSync(PYTHON, ["-c", "import numpy, PIL.Image"], { encoding: "utf8" });
  if (probe.status !== 0)
    return `${PYTHON} cannot import numpy and Pillow (apt-get install python3-numpy python3-pil)`;
  return null;
}
const missing = missingPillow();
if (missing) console.warn(`test/data/bicubic-pillow.test.ts is skipped: ${missing}`);

interface Case {
  w: number;
  h: number;
  outW: number;
  outH: number;
  box?: ResampleBox;
  /** Only these output pixels (Pillow: the whole resize, then `crop`). */
  window?: OutputWindow;
  /** noise, hard edges (overshoot clipped at 0 and 255), or a smooth ramp */
  pattern: 0 | 1 | 2;
  seed: number;
}

function imageOf(c: Case): RgbaImage {
  const rng = Prng.fromSeed(c.seed);
  const data = new Uint8Array(c.w * c.h * 4);
  for (let y = 0; y < c.h; y++)
    for (let x = 0; x < c.w; x++)
      for (let ch = 0; ch < 4; ch++) {
        const i = (y * c.w + x) * 4 + ch;
        if (c.pattern === 0) data[i] = rng.nextUint32() & 255;
        else if (c.pattern === 1) data[i] = ((x >> ch) + y) % 2 === 0 ? 255 : 0;
        else data[i] = (x * 37 + y * 11 + ch * 80) % 256;
      }
  return { width: c.w, height: c.h, data };
}

const side = fc.oneof(
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 41, max: 300 }),
);
const arbCase: fc.Arbitrary<Case> = fc
  .record({
    w: side,
    h: side,
    outW: side,
    outH: side,
    pattern: fc.constantFrom(0 as const, 1 as const, 2 as const),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    box: fc.option(
      fc.record({
        a: fc.double({ min: 0, max: 1, noNaN: true }),
        b: fc.double({ min: 0, max: 1, noNaN: true }),
        c: fc.double({ min: 0, max: 1, noNaN: true }),
        d: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { nil: undefined },
    ),
    window: fc.option(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { nil: undefined }),
  })
  .map(({ window, ...c }) => {
    if (!window) return c;
    const [a, b, w, h] = window;
    const x = a % c.outW;
    const y = b % c.outH;
    return {
      ...c,
      window: { x, y, width: 1 + (w % (c.outW - x)), height: 1 + (h % (c.outH - y)) },
    };
  })
  .map(({ box, ...c }) => {
    if (!box) return c;
    // A non-empty box inside the image (Pillow refuses one that leaves it).
    const [x0, x1] = [Math.min(box.a, box.b) * c.w, Math.max(box.a, box.b) * c.w];
    const [y0, y1] = [Math.min(box.c, box.d) * c.h, Math.max(box.c, box.d) * c.h];
    if (x1 - x0 < 0.25 || y1 - y0 < 0.25) return c;
    return { ...c, box: { x0, y0, x1, y1 } };
  })
  // Keep one Pillow call and the whole file cheap: at most about a million pixels touched.
  .filter((c) => c.w * c.h <= 300 * 300 && c.w * c.outH + c.outW * c.outH <= 1 << 20);
// (fc.nat's modulo keeps a window inside the output: 1 to the rest of each side.)

/** CLIPImageProcessor's centre crop of a w x h resize. */
function crop(w: number, h: number, side: number): OutputWindow {
  return {
    x: Math.floor((w - side) / 2),
    y: Math.floor((h - side) / 2),
    width: side,
    height: side,
  };
}

/** Cases written by hand: the shapes a generator reaches only by luck. */
const FIXED: Case[] = [
  { w: 1, h: 1, outW: 1, outH: 1, pattern: 0, seed: 1 },
  { w: 1, h: 1, outW: 7, outH: 3, pattern: 0, seed: 2 },
  { w: 1, h: 97, outW: 1, outH: 13, pattern: 0, seed: 3 },
  { w: 97, h: 1, outW: 224, outH: 1, pattern: 1, seed: 4 },
  { w: 1000, h: 3, outW: 7, outH: 2, pattern: 0, seed: 5 }, // extreme ratio, strong shrink
  { w: 3, h: 600, outW: 300, outH: 5, pattern: 1, seed: 6 },
  { w: 2, h: 2, outW: 336, outH: 336, pattern: 1, seed: 7 }, // strong enlargement
  { w: 640, h: 480, outW: 298, outH: 224, pattern: 0, seed: 8 }, // CLIP's shortest-edge 224
  { w: 57, h: 57, outW: 57, outH: 57, pattern: 0, seed: 9 }, // same size: a copy
  {
    w: 57,
    h: 40,
    outW: 57,
    outH: 40,
    pattern: 0,
    seed: 10,
    box: { x0: 0.5, y0: 0, x1: 57, y1: 40 },
  },
  {
    w: 90,
    h: 64,
    outW: 32,
    outH: 32,
    pattern: 0,
    seed: 11,
    box: { x0: 13, y0: 0, x1: 77, y1: 64 },
  },
  {
    w: 91,
    h: 64,
    outW: 32,
    outH: 32,
    pattern: 1,
    seed: 12,
    box: { x0: 13.5, y0: 0, x1: 77.5, y1: 64 },
  },
  {
    w: 64,
    h: 91,
    outW: 64,
    outH: 64,
    pattern: 2,
    seed: 13,
    box: { x0: 0, y0: 13.5, x1: 64, y1: 77.5 },
  },
  { w: 40, h: 30, outW: 40, outH: 60, pattern: 1, seed: 14 }, // vertical pass only
  { w: 40, h: 30, outW: 80, outH: 30, pattern: 1, seed: 15 }, // horizontal pass only
  // CLIP's centre crop of a thin image: a window of a resize 64 x 96000
  { w: 2, h: 3000, outW: 64, outH: 96000, pattern: 0, seed: 16, window: crop(64, 96000, 64) },
  { w: 333, h: 500, outW: 224, outH: 336, pattern: 0, seed: 17, window: crop(224, 336, 224) },
  {
    w: 40,
    h: 30,
    outW: 40,
    outH: 60,
    pattern: 1,
    seed: 18,
    window: { x: 3, y: 7, width: 30, height: 9 },
  },
];

describe.skipIf(missing !== null)("bicubic resize against Pillow", () => {
  const root = tempDir();

  it("equals Image.resize(..., Image.BICUBIC, box) byte for byte", () => {
    const cases = [...FIXED, ...fc.sample(arbCase, { numRuns: 160, seed: 20261202 })];
    const images = cases.map(imageOf);
    const inputs = Buffer.concat(images.map((im) => Buffer.from(im.data)));
    writeFileSync(join(root, "in.bin"), inputs);
    writeFileSync(join(root, "cases.json"), JSON.stringify(cases));
    const script = [
      "import json, sys",
      "from PIL import Image",
      "root = sys.argv[1]",
      "sys.path.insert(0, sys.argv[2])",
      "import numpy as np, data_image",
      "cases = json.load(open(root + '/cases.json'))",
      "data = open(root + '/in.bin', 'rb').read()",
      "out, ours, at = [], [], 0",
      "for c in cases:",
      "    n = c['w'] * c['h'] * 4",
      "    im = Image.frombytes('RGBA', (c['w'], c['h']), data[at:at + n]).convert('RGB')",
      "    at += n",
      "    b = c.get('box')",
      "    box = (b['x0'], b['y0'], b['x1'], b['y1']) if b else None",
      "    r = im.resize((c['outW'], c['outH']), Image.BICUBIC, box)",
      "    w = c.get('window')",
      "    if w:",
      "        r = r.crop((w['x'], w['y'], w['x'] + w['width'], w['y'] + w['height']))",
      "    out.append(r.tobytes())",
      "    window = (w['x'], w['y'], w['width'], w['height']) if w else None",
      "    rgb = np.asarray(im)",
      "    ours.append(data_image._bicubic(rgb, box, c['outW'], c['outH'], window).tobytes())",
      "open(root + '/out.bin', 'wb').write(b''.join(out))",
      "open(root + '/numpy.bin', 'wb').write(b''.join(ours))",
    ].join("\n");
    const r = spawnSync(PYTHON, ["-B", "-c", script, root, MODULE], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const pillow = readFileSync(join(root, "out.bin"));
    let at = 0;
    let mismatched = 0;
    const first: string[] = [];
    cases.forEach((c, i) => {
      const ours = resampleBicubic(images[i]!, c.outW, c.outH, c.box, c.window);
      const n = (c.window?.width ?? c.outW) * (c.window?.height ?? c.outH) * 3;
      const theirs = pillow.subarray(at, at + n);
      at += n;
      if (ours.length !== n || !Buffer.from(ours).equals(theirs)) {
        mismatched++;
        if (first.length < 3) first.push(JSON.stringify({ ...c, seed: c.seed }));
      }
    });
    expect(at).toBe(pillow.length);
    // the PyTorch target's data_image.py, the same arithmetic in numpy, against Pillow too
    expect(readFileSync(join(root, "numpy.bin")).equals(pillow), "data_image.py's bicubic").toBe(
      true,
    );
    expect(first, `${mismatched} of ${cases.length} cases differ from Pillow`).toEqual([]);
  });
});

/**
 * `fit: pad` with `resize: bicubic` against LLaVA-1.5's own preprocessing, written out here with
 * Pillow and without mmc's code: `expand2square` as llava/mm_utils.py has it (Image.new of the
 * mean colour, paste), then CLIPImageProcessor's shortest-edge bicubic resize and centre crop.
 * Wide and tall images with odd and even differences, a square, 1 x N, enlarging and shrinking,
 * and means other than CLIP's (the fill is int(x * 255), truncated).
 */
const PAD_CASES: { w: number; h: number; size: number; mean: [number, number, number] }[] = [
  { w: 45, h: 30, size: 16, mean: [...CLIP_MEAN] }, // wide, odd difference (15)
  { w: 30, h: 47, size: 16, mean: [...CLIP_MEAN] }, // tall, odd difference (17)
  { w: 64, h: 40, size: 32, mean: [...CLIP_MEAN] }, // wide, even difference
  { w: 7, h: 200, size: 24, mean: [...CLIP_MEAN] }, // thin and tall
  { w: 3, h: 2, size: 32, mean: [...CLIP_MEAN] }, // enlarging, difference 1
  { w: 1, h: 5, size: 8, mean: [...CLIP_MEAN] },
  { w: 33, h: 33, size: 16, mean: [...CLIP_MEAN] }, // square: no padding
  { w: 101, h: 60, size: 40, mean: [0.5, 0.5, 0.5] }, // 127.5 -> 127
  { w: 50, h: 91, size: 24, mean: [0.1, 0.2, 0.3] }, // 25.5, 51.00000000000001, 76.5
];

describe.skipIf(missing !== null)(
  "fit: pad with resize: bicubic against LLaVA-1.5's Pillow code",
  () => {
    const root = tempDir();

    it("gives expand2square + CLIPImageProcessor's bytes, in both targets", () => {
      const images = PAD_CASES.map((c, i) =>
        imageOf({ w: c.w, h: c.h, outW: 1, outH: 1, pattern: (i % 3) as 0 | 1 | 2, seed: 100 + i }),
      );
      writeFileSync(join(root, "in.bin"), Buffer.concat(images.map((im) => Buffer.from(im.data))));
      writeFileSync(join(root, "cases.json"), JSON.stringify(PAD_CASES));
      const script = [
        "import json, sys",
        "from PIL import Image",
        "root = sys.argv[1]",
        "sys.path.insert(0, sys.argv[2])",
        "import numpy as np, data_image",
        "def expand2square(pil_img, background_color):  # llava/mm_utils.py",
        "    width, height = pil_img.size",
        "    if width == height:",
        "        return pil_img",
        "    elif width > height:",
        "        result = Image.new(pil_img.mode, (width, width), background_color)",
        "        result.paste(pil_img, (0, (width - height) // 2))",
        "        return result",
        "    else:",
        "        result = Image.new(pil_img.mode, (height, height), background_color)",
        "        result.paste(pil_img, ((height - width) // 2, 0))",
        "        return result",
        "def clip_process(img, size):  # CLIPImageProcessor: shortest edge, then centre crop",
        "    w, h = img.size",
        "    short, long = min(w, h), max(w, h)",
        "    new_long = int(size * long / short)",
        "    nw, nh = (size, new_long) if w <= h else (new_long, size)",
        "    img = img.resize((nw, nh), Image.BICUBIC)",
        "    top, left = int((nh - size) / 2.0), int((nw - size) / 2.0)",
        "    return img.crop((left, top, left + size, top + size))",
        "cases = json.load(open(root + '/cases.json'))",
        "data = open(root + '/in.bin', 'rb').read()",
        "out, ours, at = [], [], 0",
        "for c in cases:",
        "    n = c['w'] * c['h'] * 4",
        "    im = Image.frombytes('RGBA', (c['w'], c['h']), data[at:at + n]).convert('RGB')",
        "    at += n",
        "    fill = tuple(int(x * 255) for x in c['mean'])",
        "    out.append(clip_process(expand2square(im, fill), c['size']).tobytes())",
        "    std = (0.26862954, 0.26130258, 0.27577711)",
        "    x = data_image.preprocess_image(np.asarray(im), c['size'], c['mean'], std, 'bicubic', 'pad')",
        "    ours.append(x.astype(np.float32).tobytes())",
        "open(root + '/out.bin', 'wb').write(b''.join(out))",
        "open(root + '/numpy.bin', 'wb').write(b''.join(ours))",
      ].join("\n");
      const r = spawnSync(PYTHON, ["-B", "-c", script, root, MODULE], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const pillow = readFileSync(join(root, "out.bin"));
      const numpy = readFileSync(join(root, "numpy.bin"));
      let at = 0;
      let atF = 0;
      PAD_CASES.forEach((c, i) => {
        const s = c.size;
        const options = resolveImageOptions({
          size: s,
          mean: c.mean,
          resize: "bicubic",
          fit: "pad",
        });
        const ts = preprocessImage(images[i]!, options);
        const py = new Float32Array(
          numpy.buffer.slice(numpy.byteOffset + atF, numpy.byteOffset + atF + ts.length * 4),
        );
        atF += ts.length * 4;
        const theirs = pillow.subarray(at, at + s * s * 3);
        at += s * s * 3;
        // Both targets' normalised pixels, back to the bytes they came from: exact integers.
        for (const [name, x] of [
          ["TypeScript", ts],
          ["data_image.py", py],
        ] as const) {
          const bytes = new Uint8Array(s * s * 3);
          let worst = 0;
          for (let ch = 0; ch < 3; ch++)
            for (let p = 0; p < s * s; p++) {
              const v = (x[ch * s * s + p]! * CLIP_STD[ch]! + c.mean[ch]!) * 255;
              worst = Math.max(worst, Math.abs(v - Math.round(v)));
              bytes[p * 3 + ch] = Math.round(v);
            }
          expect(worst, `${name}, case ${i}: normalised values are bytes`).toBeLessThan(1e-3);
          expect(Buffer.from(bytes).equals(theirs), `${name}, case ${i} (${c.w}x${c.h})`).toBe(
            true,
          );
        }
      });
      expect(at).toBe(pillow.length);
      expect(atF).toBe(numpy.length);
    });
  },
);

describe("CLIP's shortest-edge size", () => {
  it("scales the shorter side to the target and truncates the longer", () => {
    expect(shortestEdgeSize(640, 480, 224)).toEqual([298, 224]); // int(224 * 640 / 480) = 298
    expect(shortestEdgeSize(480, 640, 224)).toEqual([224, 298]);
    expect(shortestEdgeSize(100, 100, 336)).toEqual([336, 336]);
    expect(shortestEdgeSize(3, 1000, 14)).toEqual([14, 4666]);
  });
});
