// A tiled model trained by the emitted train.py against the TypeScript trainer, on the same
// initial weights and the same caption file (images of four shapes, so four grids): the first
// step's loss and gradient norm agree. This holds the whole wiring together: train.py hands the
// model's grids and one crop's token count to data.py, which cuts the same crops and overviews
// and packs them as the TypeScript pipeline does, and model.py embeds one pass per slot. (A
// train.py that forgot the grids would pack one untiled pass per image: another loss.)
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { expect, test } from "vitest";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import { encodeSafetensors, type StTensor } from "../../src/runtime/checkpoint/safetensors.js";
import { encodePng, openDataStream, type DataSpec } from "../../src/runtime/data/index.js";
import { MultimodalModel } from "../../src/runtime/model.js";
import { AdamW } from "../../src/runtime/train/adamw.js";
import { learningRate } from "../../src/runtime/train/schedule.js";
import { trainStep } from "../../src/runtime/train/trainer.js";
import { checkedModelCode } from "../runtime/generated-code.js";
import { useBackend } from "../runtime/helpers.js";
import { noisy } from "./fixtures.js";
import { runPython, torchPython } from "./python.js";

const python = torchPython("the tiled train.py test");

const SPEC = `
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model T {
  image: Image[3, 16, 16]
  tiles: { grids: ["1x1", "2x2", "2x1", "1x2"], overview: true }
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 32, depth: 1, heads: 2, context: 128 }
}

data D {
  caption: 100% jsonl("captions.jsonl")
  images_per_sequence: 2
  tokenizer: bytes
}

train t {
  model: T
  data: D
  steps: 1, batch: 4, sequence: 96, seed: 3
  optimizer: AdamW { lr: 3e-3 }
  log_every: 1
}
`;

/** Wide, tall, square and small: 2x1, 1x2, 2x2 and 1x1, with padding on all but the last two. */
const SHAPES = [
  [40, 17],
  [13, 30],
  [30, 28],
  [9, 11],
] as const;

test.skipIf(python === undefined)(
  "train.py's first step on a tiled model equals the TypeScript trainer's",
  async () => {
    const root = mkdtempSync(join(tmpdir(), "mmc-tiled-py-"));
    const rows = SHAPES.map(([w, h], i) => {
      writeFileSync(join(root, `${i}.png`), encodePng(noisy(40 + i, w, h)));
      return JSON.stringify({ image: `${i}.png`, caption: `a ${w} by ${h} picture` });
    });
    writeFileSync(join(root, "captions.jsonl"), `${rows.join("\n")}\n`);
    writeFileSync(join(root, "t.mm"), SPEC);
    const r = checkSpec(join(root, "t.mm"));
    const t = r.checked!.trains[0]!;
    const pkg = join(root, "pkg");
    writeFiles(pkg, await generatePytorch(r.checked!, r.sources, join(root, "t.mm"), pkg));

    await useBackend("cpu");
    const model = new MultimodalModel(t.model.summary, 5);
    const { loss } = await checkedModelCode(t.model);
    const weights = new Map<string, StTensor>();
    for (const [n, v] of model.params.entries())
      weights.set(n, { dtype: "F32", shape: [...v.shape], data: v.dataSync() as Float32Array });
    const init = join(root, "init.safetensors");
    writeFileSync(init, encodeSafetensors(weights));
    const data = {
      name: t.data.name,
      baseDir: root,
      sources: t.data.sources.map((s) => ({
        name: s.name,
        kind: s.kind,
        format: s.format,
        path: posix.relative(root, s.path),
        weight: s.weight,
      })),
      weighting: t.data.weighting,
      imagesPerSequence: t.data.imagesPerSequence,
      tokenizer: { kind: "bytes" },
      seed: t.seed,
    } as DataSpec;
    const stream = openDataStream(data, {
      sequence: t.sequence,
      imageTokens: t.model.summary.tokensPerCrop,
      image: { size: 16, tiles: t.model.tiles! },
    });
    const b = await stream.nextBatch(t.batch);
    await stream.close();
    // 4 images a batch at most: an overview and 2, 2, 4 or 1 crops each, so 2 to 5 passes
    expect(b.imageSlots.length).toBeGreaterThan(b.tokens.filter((x) => x === 256).length);
    const opt = new AdamW(model.params, {
      lr: t.optimizer.lr,
      betas: t.optimizer.betas,
      weightDecay: t.optimizer.weightDecay,
      eps: t.optimizer.eps,
      clip: t.optimizer.clip,
    });
    const lr = learningRate(t.schedule, 0, 1, t.optimizer.lr);
    const batch = {
      batchSize: b.batchSize,
      sequence: b.sequence,
      tokens: b.tokens,
      lossMask: b.lossMask,
      images: b.images,
      imageSize: b.imageSize,
      imageSlots: b.imageSlots,
    };
    const ts = await trainStep(model, opt, batch, lr, { loss });
    opt.dispose();
    model.dispose();
    tf.disposeVariables();

    const run = join(root, "run");
    runPython(python!, [join(pkg, "train.py"), "--run-dir", run, "--steps", "1", "--init", init]);
    const step = readFileSync(join(run, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { step?: number; loss: number; grad_norm: number })
      .find((x) => x.step === 1)!;
    console.log(
      `tiled: TypeScript loss ${ts.loss.toFixed(6)} vs train.py ${step.loss.toFixed(6)}, ` +
        `grad norm ${ts.gradNorm.toExponential(4)} vs ${step.grad_norm.toExponential(4)}`,
    );
    expect(Math.abs(step.loss - ts.loss)).toBeLessThan(1e-4);
    expect(Math.abs(step.grad_norm - ts.gradNorm) / ts.gradNorm).toBeLessThan(1e-3);
  },
  600_000,
);
