// Stages, run folders and the held-out loss in train.py, across the two targets: a PyTorch
// fine-tune that starts from a TypeScript-trained pretrain checkpoint (MoE experts upcycled bit for
// bit as the TypeScript runtime does it, routers fresh; the run-first message; the `init` record),
// `--resume` of a TypeScript checkpoint and a clear line for one of other shapes, the TypeScript
// runtime starting a stage from train.py's checkpoint, `run.lock` (a live holder refused, a stale
// lock taken over), and the `eval` records against the TypeScript evaluation on the same weights.
// One set-up; every train.py run is 1-2 steps of a tiny model. Skipped with a notice without torch.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, posix } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, test } from "vitest";
import type { CheckedProgram, CheckedTrain } from "../../src/check/ir.js";
import { generatePytorch, writeFiles } from "../../src/cli/commands/compile.js";
import { checkSpec } from "../../src/cli/load.js";
import {
  applyCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  type LoadedCheckpoint,
} from "../../src/runtime/checkpoint/checkpoint.js";
import type { StTensor } from "../../src/runtime/checkpoint/safetensors.js";
import { describeStageProblem, planStage } from "../../src/components/stages.js";
import { openDataStream, type DataSpec } from "../../src/runtime/data/index.js";
import { synthesize } from "../../src/runtime/data-tools/index.js";
import { MultimodalModel, type ModelBatch } from "../../src/runtime/model.js";
import { evaluate } from "../../src/runtime/run/evaluate.js";
import type { RunConfig } from "../../src/runtime/run/run-config.js";
import { applyStageStart, findStageStart } from "../../src/runtime/run/stage-start.js";
import { MMC } from "../cli/run-mmc.js";
import { checkedModelCode } from "../runtime/generated-code.js";
import { useBackend } from "../runtime/helpers.js";
import { torchPython } from "./python.js";

const python = torchPython("the PyTorch stages test");

const SPEC = `
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder, MoE } from "std/llm"

model Micro {
  image: Image[3, 32, 32]
  vision: ViT { patch: 8, width: 32, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 32, depth: 2, heads: 2, mlp: swiglu(64), context: 64 }
}

model MicroMoE = Micro {
  llm.moe: MoE { experts: 2, top_k: 1, every: 2, shared: 1 }
}

model Wide = Micro {
  llm.width: 48
}

data Synth {
  caption: 60% webdataset("data/synth/caption-{0000..0001}.tar")
  text: 40% jsonl("data/synth/text.jsonl", field: "text")
  heldout: webdataset("data/synth/caption-0003.tar")
  images_per_sequence: 1
}

train pre {
  model: Micro
  data: Synth
  steps: 2, batch: 2, sequence: 64, seed: 3
  checkpoint: { every: 1, dir: "runs/pre" }
  eval: { every: 100, batches: 1 }
  log_every: 1
}

train fine {
  model: MicroMoE
  data: Synth
  steps: 2, batch: 2, sequence: 64, seed: 4
  init: pre
  freeze: [vision]
  checkpoint: { every: 1, dir: "runs/fine" }
  eval: { every: 1, batches: 1 }
  log_every: 1
}
`;

/**
 * Runs train.py's `main` once per argument list in one Python process (torch loads once: it
 * takes 5-15 s on a busy machine), each run's output captured; `["--dump-fine", FILE]` instead
 * writes the model train.py builds for `fine` before its first step (upcycled), as mmc names;
 * `["--plan", JSON]` gives train_state.plan_stage's plan of `[source, target]` name/shape lists.
 */
const RUNS = `
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import train, train_state
results = []
for args in json.loads(sys.argv[2]):
    if args[0] == "--dump-fine":
        t = train.Trainer("fine", train.TRAINS["fine"], train.parse_args(["--train", "fine"]), print)
        t.stage = t.find_stage_start()
        t.build()
        params = {k: v for k, v in t.state_tensors().items() if k.startswith("param.")}
        with open(args[1], "wb") as f:
            f.write(train_state.encode_checkpoint(params, {"step": 0, "backend": "dump"}))
        results.append({"status": 0, "out": "", "err": ""})
        continue
    if args[0] == "--plan":
        source, target = json.loads(args[1])
        sources, upcycled, problems = train_state.plan_stage(dict(source), dict(target))
        described = [train_state.describe_stage_problem(p, "there", "here") for p in problems]
        plan = {"sources": sources, "upcycled": upcycled, "problems": described}
        results.append({"status": 0, "out": json.dumps(plan), "err": ""})
        continue
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = train.main(args)
    results.append({"status": status, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
`;

interface Ran {
  status: number | null;
  out: string;
  err: string;
}

/** A stage plan with every case: copies, upcycled routed and shared experts, fresh router and
 *  gate, a shape mismatch, an expert of another width, a tensor missing and one left over. */
const PLAN_FROM: [string, number[]][] = [
  ["llm.embed.weight", [10, 4]],
  ["llm.layers.0.attn.q.weight", [4, 4]],
  ["llm.layers.0.mlp.up.weight", [4, 8]],
  ["llm.layers.0.mlp.down.weight", [8, 4]],
  ["llm.layers.1.mlp.up.weight", [4, 8]],
  ["llm.extra", [2]],
];
const PLAN_TO: [string, number[]][] = [
  ["llm.embed.weight", [10, 6]],
  ["llm.layers.0.attn.q.weight", [4, 4]],
  ["llm.layers.0.moe.router.weight", [4, 2]],
  ["llm.layers.0.moe.shared_gate.weight", [4, 1]],
  ["llm.layers.0.moe.experts.0.mlp.up.weight", [4, 8]],
  ["llm.layers.0.moe.experts.1.mlp.up.weight", [4, 16]],
  ["llm.layers.0.moe.shared.0.mlp.down.weight", [8, 4]],
  ["llm.layers.1.moe.experts.0.mlp.up.weight", [4, 8]],
  ["llm.layers.2.moe.router.weight", [4, 2]],
  ["llm.new", [3]],
];

/**
 * train.py's held-out losses against the runtime's on the same weights and batch (fp32 CPU; the
 * same sums in another order; measured equal). Far below the ~1e-4 that rotating the images
 * moves this model's loss, so an evaluation that did not rotate them would fail.
 */
const EVAL_TOL = 1e-5;

const LIVE_LOCK = `${JSON.stringify({ pid: process.pid, host: hostname() })}\n`;
let goneLock = "";
let root = "";
let pkg = "";
let program: CheckedProgram;

function run(cmd: string, args: string[]): Ran {
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** train.py's runs, in one Python process (RUNS). */
function trainPy(...runs: string[][]): Ran[] {
  const r = run(python!, ["-c", RUNS, pkg, JSON.stringify(runs)]);
  if (r.status !== 0) throw new Error(`the train.py runs failed (${r.status}):\n${r.err}${r.out}`);
  return JSON.parse(r.out.trim().split("\n").pop()!) as Ran[];
}

/** Before the pretrain has run: the run-first message, a live lock, a checkpoint of other shapes. */
let early: Ran[] = [];
/** After it: the fine-tune's first weights, the fine-tune, the pretrain resumed by train.py. */
let late: Ran[] = [];
const trainOf = (name: string): CheckedTrain => program.trains.find((t) => t.name === name)!;

function bits(t: StTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function records(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The `mmc` metadata string of a safetensors file, read by hand (not through mmc's reader). */
function metadataOf(path: string): string {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as {
    __metadata__: Record<string, string>;
  };
  return header.__metadata__["mmc"]!;
}

function stageConfig(name: string, dir: string): RunConfig {
  return {
    name,
    init: { train: "pre", dir, spec: join(root, "train.mm") },
  } as unknown as RunConfig;
}

/** The TypeScript runtime's DataSpec of the held-out captions (heldout.ts's: seed 0). */
function heldoutSpec(t: CheckedTrain): DataSpec {
  const s = t.data.heldout!;
  return {
    name: `${t.data.name} (held out)`,
    baseDir: root,
    sources: [
      {
        name: s.name,
        kind: s.kind,
        format: s.format,
        path: posix.relative(root, s.path),
        weight: 1,
      },
    ],
    weighting: t.data.weighting,
    imagesPerSequence: t.data.imagesPerSequence,
    tokenizer: { kind: "bytes" },
    seed: 0,
  } as DataSpec;
}

describe.skipIf(python === undefined)("stages, run folders and eval in train.py", () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "mmc-stages-py-"));
    await synthesize({
      outDir: join(root, "data", "synth"),
      seed: 0,
      size: "small",
      imageSize: 32,
    });
    writeFileSync(join(root, "train.mm"), SPEC);
    const r = checkSpec(join(root, "train.mm"));
    expect(r.checked, JSON.stringify(r.diagnostics.map((d) => d.message))).toBeDefined();
    program = r.checked!;
    pkg = join(root, "pkg");
    writeFiles(pkg, await generatePytorch(program, r.sources, join(root, "train.mm"), pkg));
    // a folder whose lock a live process (this one) holds
    mkdirSync(join(root, "runs", "live"), { recursive: true });
    writeFileSync(join(root, "runs", "live", "run.lock"), LIVE_LOCK);
    // a checkpoint of `pre` written by a model of other widths (TypeScript)
    await useBackend("cpu");
    const wide = new MultimodalModel(program.models.find((m) => m.name === "Wide")!.summary, 1);
    await saveCheckpoint(join(root, "runs", "wide"), wide.params, undefined, {
      step: 1,
      backend: "cpu",
      extra: { train: "pre" },
    });
    wide.dispose();
    early = trainPy(
      ["--train", "fine"],
      ["--train", "pre", "--run-dir", join(root, "runs", "live")],
      ["--train", "pre", "--resume", join(root, "runs", "wide")],
      ["--plan", JSON.stringify([PLAN_FROM, PLAN_TO])],
    );
  }, 600_000);

  test("a stage whose earlier train has not run says which command to run first", () => {
    const r = early[0]!;
    expect(r.status, r.out + r.err).toBe(1);
    expect(r.err).toBe(
      "error: `train fine` starts from the weights of `train pre`, which has no checkpoint in " +
        "`runs/pre` yet: run `mmc run train.mm --train pre` first\n",
    );
  }, 300_000);

  test("a PyTorch fine-tune starts from a TypeScript-trained checkpoint, upcycled as TypeScript does", async () => {
    // the earlier stage, trained by the TypeScript runtime (`mmc run`), one step
    const ts = run(process.execPath, [MMC, "run", "train.mm", "--train", "pre", "--steps", "1"]);
    expect(ts.status, ts.out + ts.err).toBe(0);
    const pre = await readCheckpoint(join(root, "runs", "pre", "step-00000001.safetensors"));
    // train.py's model for `fine` before its first step, next to the TypeScript runtime's
    const dumped = join(root, "fine-start.safetensors");
    // a lock left by a process that is gone (same host, a pid that has exited) for the fine-tune
    const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    mkdirSync(join(root, "runs", "fine"), { recursive: true });
    writeFileSync(
      join(root, "runs", "fine", "run.lock"),
      `${JSON.stringify({ pid: Number(gone), host: hostname() })}\n`,
    );
    goneLock = gone;
    // the runtime's stage start first: the last of the runs below adds a newer checkpoint
    await useBackend("cpu");
    const model = new MultimodalModel(trainOf("fine").model.summary, 4);
    const start = await findStageStart(stageConfig("fine", join(root, "runs", "pre")));
    expect(start!.checkpoint.meta.step).toBe(1);
    const plan = applyStageStart(start!, model.params);
    late = trainPy(
      ["--dump-fine", dumped],
      ["--train", "fine"],
      ["--train", "pre", "--resume", "--steps", "2"],
    );
    const py = (await readCheckpoint(dumped)).tensors;
    expect(plan.upcycledLayers).toEqual([1]);
    let copied = 0;
    for (const [name, v] of model.params.entries()) {
      const mine = py.get(`param.${name}`)!;
      expect(mine, name).toBeDefined();
      const source = plan.sources.get(name)!;
      if (source.kind === "fresh") {
        expect(name).toMatch(/^llm\.layers\.1\.moe\.(router|shared_gate)\./);
        continue;
      }
      // copied or upcycled: the checkpoint's tensor, bit for bit, in both runtimes
      const want = pre.tensors.get(`param.${source.from}`)!;
      expect(bits(mine).equals(bits(want)), name).toBe(true);
      const theirs = { dtype: "F32", shape: [...v.shape], data: v.dataSync() as Float32Array };
      expect(bits(theirs as StTensor).equals(bits(want)), name).toBe(true);
      copied++;
    }
    expect(copied).toBeGreaterThan(20);
    for (const part of ["gate", "up", "down"]) {
      const dense = pre.tensors.get(`param.llm.layers.1.mlp.${part}.weight`)!;
      for (const e of ["experts.0", "experts.1", "shared.0"])
        expect(
          bits(py.get(`param.llm.layers.1.moe.${e}.mlp.${part}.weight`)!).equals(bits(dense)),
          e,
        ).toBe(true);
    }
    model.dispose();
    tf.disposeVariables();
  }, 600_000);

  test("train.py runs the stage: `init` record, a stale lock taken over, eval as TypeScript scores it", async () => {
    const gone = goneLock;
    const lock = join(root, "runs", "fine", "run.lock");
    const r = late[1]!;
    expect(r.status, r.out + r.err).toBe(0);
    expect(r.out).toContain(
      `note: taking over \`runs/fine/run.lock\`, left by a run that is no longer running (pid ${gone})`,
    );
    expect(r.out).toMatch(
      /^starting from the weights of `train pre` at step 1 \(runs\/pre\/step-00000001\.safetensors, sha256 [0-9a-f]{16}\.\.\.\); its optimizer state and step are not carried over$/m,
    );
    expect(r.out).toContain(
      "upcycling: the experts of the MoE layer 1 start as copies of `train pre`'s dense MLP there",
    );
    expect(existsSync(lock)).toBe(false);
    const fine = join(root, "runs", "fine");
    const log = records(fine);
    const prePath = join(root, "runs", "pre", "step-00000001.safetensors");
    expect(log[0]).toEqual({
      type: "init",
      train: "pre",
      checkpoint: prePath,
      sha256: createHash("sha256").update(metadataOf(prePath)).digest("hex"),
      checkpoint_step: 1,
      upcycled_layers: [1],
    });
    expect(log.map((x) => `${x["type"]} ${x["step"] ?? ""}`)).toEqual([
      "init ",
      "step 1",
      "eval 1",
      "step 2",
      "eval 2",
      "skipped ", // the data summary at the end, as the TypeScript runtime writes it
    ]);
    // frozen `vision` is the pretrain's, bit for bit
    const pre = await readCheckpoint(prePath);
    const saved = await readCheckpoint(join(fine, "step-00000002.safetensors"));
    const vision = [...pre.tensors.keys()].filter((k) => k.startsWith("param.vision."));
    expect(vision.length).toBeGreaterThan(5);
    for (const k of vision)
      expect(bits(saved.tensors.get(k)!).equals(bits(pre.tensors.get(k)!)), k).toBe(true);
    // the held-out scores of step 2 against the TypeScript evaluation of the same weights
    const py = log[4]!;
    const ts = await tsEval(saved);
    console.log(
      `held-out loss, train.py vs TypeScript on the same weights: ${py["caption_loss"]} vs ${ts.loss}; images rotated ${py["caption_loss_shuffled_images"]} vs ${ts.shuffledLoss}`,
    );
    expect(py["targets"]).toBe(ts.targets);
    expect(ts.targets).toBeGreaterThan(20);
    expect(Math.abs((py["caption_loss"] as number) - ts.loss)).toBeLessThan(EVAL_TOL);
    const rotated = py["caption_loss_shuffled_images"] as number;
    expect(Math.abs(rotated - ts.shuffledLoss)).toBeLessThan(EVAL_TOL);
    expect(py["caption_accuracy"]).toBeCloseTo(ts.accuracy, 6);
    expect(py["caption_accuracy_shuffled_images"]).toBeCloseTo(ts.shuffledAccuracy, 6);
    // rotating the images moves the loss well beyond the tolerance: one that did nothing fails
    expect(Math.abs(ts.loss - ts.shuffledLoss)).toBeGreaterThan(5 * EVAL_TOL);
  }, 600_000);

  test("--resume continues a TypeScript checkpoint; TypeScript starts a stage from train.py's", async () => {
    const r = late[2]!;
    expect(r.status, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^resuming from step 1 \(.*step-00000001\.safetensors, saved on \w+\)$/m);
    const steps = records(join(root, "runs", "pre")).filter((x) => x["type"] === "step");
    expect(steps.map((x) => x["step"])).toEqual([1, 2]);
    const py = await readCheckpoint(join(root, "runs", "pre", "step-00000002.safetensors"));
    expect(py.meta.backend).toBe("pytorch-cpu");
    // the TypeScript runtime's stage start from train.py's checkpoint (the newest, step 2)
    await useBackend("cpu");
    const model = new MultimodalModel(trainOf("fine").model.summary, 4);
    const start = await findStageStart(stageConfig("fine", join(root, "runs", "pre")));
    expect(start!.checkpoint.meta.step).toBe(2);
    expect(applyStageStart(start!, model.params).upcycledLayers).toEqual([1]);
    const expert = model.params
      .get("llm.layers.1.moe.experts.1.mlp.up.weight")
      .dataSync() as Float32Array;
    const dense = py.tensors.get("param.llm.layers.1.mlp.up.weight")!;
    expect(
      bits({ dtype: "F32", shape: dense.shape, data: expert } as StTensor).equals(bits(dense)),
    ).toBe(true);
    model.dispose();
    tf.disposeVariables();
  }, 600_000);

  test("a checkpoint of other shapes is one line naming the tensor and both shapes", async () => {
    await useBackend("cpu");
    const model = new MultimodalModel(program.models.find((m) => m.name === "Wide")!.summary, 1);
    const r = early[2]!;
    expect(r.status, r.out + r.err).toBe(1);
    const m =
      /^error: checkpoint `runs\/wide\/step-00000001\.safetensors` \(saved on cpu\) does not fit this model: tensor `param\.([\w.]+)` is \[([\d, ]+)\] there and \[([\d, ]+)\] here \(fix: resume with the spec that wrote it, or start over with --fresh\)\n$/.exec(
        r.err,
      );
    expect(m, r.err).not.toBeNull();
    const [, name, there, here] = m!;
    expect(model.params.get(name!).shape.join(", ")).toBe(there);
    const micro = new MultimodalModel(trainOf("pre").model.summary, 1);
    expect(micro.params.get(name!).shape.join(", ")).toBe(here);
    micro.dispose();
    expect(there).not.toBe(here);
    model.dispose();
  }, 300_000);

  test("train.py's stage plan is the runtime's planStage, problems worded alike", () => {
    const r = early[3]!;
    const py = JSON.parse(r.out) as {
      sources: Record<string, [string, string | null]>;
      upcycled: number[];
      problems: string[];
    };
    const shape = ([name, shape]: [string, number[]]) => ({ name, shape });
    const ts = planStage(PLAN_FROM.map(shape), PLAN_TO.map(shape));
    const sources = Object.fromEntries(
      [...ts.sources].map(([n, s]) => [n, [s.kind, s.kind === "fresh" ? null : s.from]]),
    );
    expect(py.sources).toEqual(sources);
    expect(py.upcycled).toEqual(ts.upcycledLayers);
    expect(py.problems).toEqual(ts.problems.map((p) => describeStageProblem(p, "there", "here")));
    // the case covers what it says: all three kinds of source and of problem
    expect(new Set(Object.values(sources).map((s) => s[0]))).toEqual(
      new Set(["copy", "upcycle", "fresh"]),
    );
    expect(new Set(ts.problems.map((p) => p.kind))).toEqual(
      new Set(["shape", "missing", "unexpected"]),
    );
  });

  test("a run folder a live run holds is refused, its lock left alone", () => {
    const dir = join(root, "runs", "live");
    const text = LIVE_LOCK;
    const r = early[1]!;
    expect(r.status, r.out + r.err).toBe(1);
    expect(r.err).toBe(
      `error: another run (pid ${process.pid} on ${hostname()}) is writing to \`runs/live\`: wait for it or stop it (Ctrl-C), or give this run another folder; if no run is writing there, remove \`runs/live/run.lock\`\n`,
    );
    expect(readFileSync(join(dir, "run.lock"), "utf8")).toBe(text);
  }, 300_000);
});

/** The TypeScript runtime's held-out evaluation (evaluate.ts) of `fine` on a checkpoint's weights. */
async function tsEval(loaded: LoadedCheckpoint) {
  await useBackend("cpu");
  const t = trainOf("fine");
  const model = new MultimodalModel(t.model.summary, 0);
  applyCheckpoint(loaded, model.params);
  const code = await checkedModelCode(t.model);
  const stream = openDataStream(heldoutSpec(t), {
    sequence: t.sequence,
    imageTokens: t.model.summary.imageTokens,
    image: { size: 32 },
    shuffleBuffer: 0,
  });
  const b = await stream.nextBatch(t.batch);
  await stream.close();
  const batch: ModelBatch = {
    batchSize: b.batchSize,
    sequence: b.sequence,
    tokens: b.tokens,
    lossMask: b.lossMask,
    ...(b.imageSlots && b.imageSlots.length > 0
      ? { images: b.images, imageSize: b.imageSize, imageSlots: b.imageSlots }
      : {}),
  };
  const r = await evaluate(model, code, [batch]);
  model.dispose();
  tf.disposeVariables();
  return r;
}
