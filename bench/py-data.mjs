// The Python data pipeline (src/codegen/pytorch/py/data.py) against the TypeScript one: packed
// batches per second on examples/tiny.mm's mixtures over the synthetic corpus, one process and one
// rank of two; then how far Pillow's JPEG decoding is from jpeg-js's, in pixel levels.
// Run after `npm run build`: node bench/py-data.mjs [--batches N] [--python /usr/bin/python3]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import jpeg from "jpeg-js";
import { fileHost } from "../dist/cli/host.js";
import { checkFile } from "../dist/pipeline.js";
import { decodeImage, openDataStream, Prng } from "../dist/runtime/data/index.js";
import { synthesize } from "../dist/runtime/data-tools/index.js";

const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const batches = Number(flag("--batches", "30"));
const python = flag("--python", process.env.MMC_PYTHON ?? "/usr/bin/python3");
const module = join(import.meta.dirname, "../src/codegen/pytorch/py");
const dir = mkdtempSync(join(tmpdir(), "mmc-bench-py-data-"));

/** Runs a Python snippet with data.py importable; its stdout parsed as JSON. */
function py(code, input) {
  const r = spawnSync(python, ["-B", "-c", code], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, PYTHONPATH: module },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const PY_TIMING = `
import json, sys, time
import data
job = json.load(sys.stdin)
out = []
for world in (1, 2):
    s = data.DataStream(job["spec"], world_size=world, **job["options"])
    for _ in range(2):
        s.next_batch(job["batch"])
    t = time.perf_counter()
    for _ in range(job["batches"]):
        s.next_batch(job["batch"])
    out.append(job["batches"] / (time.perf_counter() - t))
    s.close()
print(json.dumps(out))
`;

try {
  const started = performance.now();
  await synthesize({ outDir: join(dir, "examples/data/synth"), size: "small", seed: 0 });
  console.log(`synthesize(small): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const version = spawnSync(python, ["-c", "import sys, numpy, PIL; print(sys.version.split()[0], numpy.__version__, PIL.__version__)"], { encoding: "utf8" }); // prettier-ignore
  console.log(`node ${process.version}; python, numpy, Pillow ${version.stdout.trim()}`);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (2 shared cores: noisy)\n`,
  );

  const checked = checkFile("examples/tiny.mm", fileHost).checked;
  const mixtures = Object.fromEntries(checked.data.map((d) => [d.name, d]));
  console.log(`batches of 8 x 128 tokens per second (${batches} batches after 2 warm-up)`);
  console.log("mixture          image px   TypeScript   Python   Python rank 0 of 2");
  for (const name of ["CaptionHeavy", "Synthetic"]) {
    for (const size of [64, 224]) {
      const d = mixtures[name];
      const spec = { name, baseDir: dir, sources: d.sources, weighting: d.weighting,
        imagesPerSequence: d.imagesPerSequence, tokenizer: d.tokenizer, seed: 1 }; // prettier-ignore
      const options = { sequence: 128, imageTokens: 16, image: { size } };
      const stream = openDataStream(spec, options);
      for (let i = 0; i < 2; i++) await stream.nextBatch(8);
      const t = performance.now();
      for (let i = 0; i < batches; i++) await stream.nextBatch(8);
      const ts = batches / ((performance.now() - t) / 1000);
      await stream.close();
      const pyOptions = { sequence: 128, image_tokens: 16, image: { size } };
      const [one, rank] = py(PY_TIMING, { spec, options: pyOptions, batch: 8, batches });
      const cell = (x) => x.toFixed(1).padStart(8);
      console.log(
        `${name.padEnd(16)} ${String(size).padStart(8)} ${cell(ts)}     ${cell(one)} ${cell(rank)}`,
      );
    }
  }

  // JPEG: jpeg-js writes 4:4:4; Pillow (libjpeg) writes 4:2:0, 4:2:2 and progressive
  const rng = Prng.fromSeed(9);
  const images = Array.from({ length: 8 }, () => {
    const data = new Uint8Array(96 * 64 * 4);
    for (let i = 0; i < data.length; i++)
      data[i] = i % 4 === 3 ? 255 : ((i >> 8) * 40 + rng.nextInt(90)) & 255;
    return data;
  });
  const files = [];
  images.forEach((data, i) => {
    const path = join(dir, `raw-${i}.rgba`);
    writeFileSync(path, data);
    writeFileSync(
      join(dir, `js-${i}.jpg`),
      jpeg.encode({ width: 96, height: 64, data: Buffer.from(data) }, 85).data,
    );
    files.push({ kind: "4:4:4 (jpeg-js)", path: join(dir, `js-${i}.jpg`) });
    for (const [kind, options] of [
      ["4:4:4 (libjpeg)", { subsampling: 0 }],
      ["4:2:2 (libjpeg)", { subsampling: 1 }],
      ["4:2:0 (libjpeg)", { subsampling: 2 }],
      ["progressive 4:2:0", { progressive: true }],
    ])
      // prettier-ignore
      files.push({ kind, path: join(dir, `${kind.replace(/\W+/g, "-")}${i}.jpg`), raw: path, options });
  });
  py(
    `
import json, sys
import numpy as np
from PIL import Image
for f in json.load(sys.stdin):
    if "raw" in f:
        rgba = np.fromfile(f["raw"], np.uint8).reshape(64, 96, 4)
        Image.fromarray(rgba[:, :, :3].copy()).save(f["path"], "JPEG", quality=85, **f["options"])
print("[]")`,
    files,
  );
  const decoded = py(
    `
import json, sys
import numpy as np
import data_image
out = []
for f in json.load(sys.stdin):
    out.append(data_image.decode_image(open(f["path"], "rb").read(), 64).ravel().tolist())
print(json.dumps(out))`,
    files,
  );
  const byKind = new Map();
  for (const [i, f] of files.entries()) {
    const ts = await decodeImage(readFileSync(f.path));
    const rgb = decoded[i];
    let max = 0;
    let sum = 0;
    for (let p = 0, q = 0; p < ts.image.data.length; p += 4, q += 3)
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(ts.image.data[p + c] - rgb[q + c]);
        max = Math.max(max, d);
        sum += d;
      }
    const k = byKind.get(f.kind) ?? { max: 0, sum: 0, n: 0 };
    byKind.set(f.kind, { max: Math.max(k.max, max), sum: k.sum + sum, n: k.n + rgb.length });
  }
  console.log(
    "\nJPEG decoded by Pillow against jpeg-js, 8 noisy 96x64 images each, pixel levels 0-255",
  );
  console.log("encoding              largest   mean");
  for (const [kind, k] of byKind)
    console.log(
      `${kind.padEnd(20)} ${String(k.max).padStart(8)} ${(k.sum / k.n).toFixed(3).padStart(7)}`,
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
