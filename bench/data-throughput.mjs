// Data pipeline throughput: documents per second per source kind, and packed batches per second
// for the full 45:45:10 mixture, against the step time of a tiny model (0.5-3 s per batch of
// 8 x 256 tokens). Run after `npm run build`: node bench/data-throughput.mjs [--size small|medium]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  ByteTokenizer,
  IssueSink,
  MixtureSampler,
  openDataStream,
  resolveImageOptions,
} from "../dist/runtime/data/index.js";
import { synthesize } from "../dist/runtime/data-tools/index.js";

const args = process.argv.slice(2);
const size = args.includes("--size") ? args[args.indexOf("--size") + 1] : "small";
const dir = mkdtempSync(join(tmpdir(), "mmc-bench-data-"));

try {
  let t = performance.now();
  const corpus = await synthesize({ outDir: join(dir, "corpus"), seed: 0, size });
  const synthMs = performance.now() - t;
  console.log(`synthesize(${size}): ${(synthMs / 1000).toFixed(2)} s`, corpus.counts);
  console.log(`node ${process.version}, ${process.arch}\n`);

  const rows = [];
  for (const imageSize of [64, 224]) {
    for (const source of corpus.spec.sources) {
      const spec = { ...corpus.spec, sources: [{ ...source, weight: 1 }] };
      const sampler = new MixtureSampler(spec, {
        tokenizer: new ByteTokenizer(),
        imageTokens: 16,
        image: resolveImageOptions({ size: imageSize }),
        issues: new IssueSink(),
      });
      const n = source.kind === "text" ? 20000 : 2000;
      for (let i = 0; i < 50; i++) await sampler.next(); // warm-up
      t = performance.now();
      let images = 0;
      for (let i = 0; i < n; i++) images += (await sampler.next()).images;
      const s = (performance.now() - t) / 1000;
      await sampler.close();
      rows.push({
        source: `${source.kind} (${source.format})`,
        image: imageSize,
        docsPerSec: n / s,
        imagesPerSec: images / s,
      });
    }
  }
  console.log(
    "documents per second, one source at a time (includes decode, resize, normalise, tokenize):",
  );
  console.log("source                    image px   docs/s   images/s");
  for (const r of rows) {
    console.log(
      `${r.source.padEnd(25)} ${String(r.image).padStart(8)} ${r.docsPerSec.toFixed(0).padStart(8)} ${r.imagesPerSec.toFixed(0).padStart(10)}`,
    );
  }

  console.log(
    "\npacked batches (8 x 256, 16 image tokens, up to 4 images per sequence), 45:45:10 mixture:",
  );
  for (const imageSize of [64, 224]) {
    const stream = openDataStream(corpus.spec, {
      sequence: 256,
      imageTokens: 16,
      image: { size: imageSize },
    });
    await stream.nextBatch(8);
    const batches = 100;
    t = performance.now();
    for (let i = 0; i < batches; i++) await stream.nextBatch(8);
    const s = (performance.now() - t) / 1000;
    const perBatch = s / batches;
    const st = stream.packerStats();
    const pad = st.padTokens / (st.sequences * 256);
    await stream.close();
    console.log(
      `  image ${imageSize} px: ${(batches / s).toFixed(1)} batches/s, ${(perBatch * 1000).toFixed(1)} ms per batch; ` +
        `padding ${(100 * pad).toFixed(1)}%; ${perBatch < 0.5 ? "does not starve" : "would starve"} a 0.5-3 s training step ` +
        `(loading uses ${((100 * perBatch) / 0.5).toFixed(1)}% of the fastest step)`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
