// The training step of the package `mmc compile --target pytorch` emits against the hand-written
// PyTorch reference (bench/torch-step.py), on CPU, in one Python process (bench/emitted-step.py):
// the same decoder, initial weights (the TypeScript runtime's, as mmc-layout safetensors), batch,
// AdamW settings and threads. The first losses must agree to 1e-4 (relative) or the bench fails;
// then steps are interleaved (emitted, reference, emitted, ...) and reported as the median and
// range of the per-pair time ratio emitted / reference. The TypeScript step against the same
// reference is bench/runtime-step.mjs's figure. See docs/benchmarks.md.
// Run: npm run build && node bench/pytorch-step.mjs [--only tiny,mid] [--pairs N | --seconds S]
//      [--threads 2] [--parity-steps 3] [--python PATH] [--torch-blas DIR] [--keep-coretype]
//      [--allow-slow-blas]
// MMC_PYTHON names the interpreter when --python is not given.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MultimodalModel, selectBackend } from "../dist/runtime/index.js";
import { CONFIGS, batchFor, decoderInput, describe, exportForTorch } from "./step-configs.mjs";
import { ReferenceError, TorchChild, settingsLines, startReference } from "./torch-reference.mjs";
import { benchArgs } from "./args.mjs";

const DRIVER = fileURLToPath(new URL("./emitted-step.py", import.meta.url));
const MMC = fileURLToPath(new URL("../bin/mmc", import.meta.url));
const OPTIMIZER = { lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, clip: 1 };
const FIRST_LOSS_TOLERANCE = 1e-4;
// later losses follow one AdamW update each: a wrong decay group or clipping shows here
const LATER_LOSS_TOLERANCE = 1e-3;

const { flag, option, count } = benchArgs();
const threads = count("threads", "2");
const parity = count("parity-steps", "3");
const wanted = count("pairs", undefined);
const minSeconds = count("seconds", "10");
const only = option("only", "tiny").split(",");
for (const name of only) {
  if (CONFIGS[name] === undefined || CONFIGS[name].moe !== undefined) {
    console.error(`--only takes ${Object.keys(CONFIGS).join(", ")}, not ${name}`);
    process.exit(2);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => loadavg()[0].toFixed(2);
const ms = (s) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
const range = (xs) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;
const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);

let scratch;
let child;
async function fail(message) {
  await child?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  console.error(`\nbench failed: ${message}`);
  process.exit(1);
}
async function request(cmd) {
  try {
    return await child.request(cmd);
  } catch (e) {
    if (e instanceof ReferenceError)
      return fail(e.message.replace("torch-step.py", "emitted-step.py"));
    throw e;
  }
}

/** A spec whose one train is config `c`'s decoder at its batch, with the bench's optimizer. */
function specFor(c) {
  const mlp = `${c.mlp.fn}(${c.mlp.hidden})`;
  const o = OPTIMIZER;
  return [
    `import { Decoder } from "std/llm"`,
    `llm Bench = Decoder {`,
    `  vocab: ${c.vocab}, width: ${c.width}, depth: ${c.depth}, heads: ${c.heads}, mlp: ${mlp}`,
    `  norm: ${c.norm}, position: ${c.position}, context: ${c.sequence}, biases: none`,
    `}`,
    `model BenchText { llm: Bench }`,
    `data Text { text: 100% jsonl("unused.jsonl", field: "text")`,
    `  tokenizer: bytes }`,
    `train bench {`,
    `  model: BenchText, data: Text, steps: 10, batch: ${c.batch}, sequence: ${c.sequence}, seed: 1`,
    `  optimizer: AdamW { lr: ${o.lr}, betas: [${o.betas.join(", ")}], weight_decay: ${o.weightDecay}, clip: ${o.clip} }`,
    `  schedule: Constant { warmup: 0 }`,
    `}`,
    ``,
  ].join("\n");
}

// the TypeScript runtime only makes the initial weights here: its plain CPU backend will do
await selectBackend("cpu");
console.log(
  `== ${threads} thread${threads === 1 ? "" : "s"}; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(", ")} (1, 5, 15 min)`,
);
// startReference checks and fixes the BLAS settings in a torch-step.py child; the driver then
// starts with the same environment and its settings are checked again from inside it
let started;
try {
  started = await startReference(threads, {
    python: option("python", process.env.MMC_PYTHON || undefined),
    blasDir: option("torch-blas", process.env.MMC_TORCH_BLAS || undefined),
    keepCoretype: flag("keep-coretype"),
    allowSlowBlas: flag("allow-slow-blas"),
  });
} catch (e) {
  if (e instanceof ReferenceError) await fail(e.message);
  throw e;
}
await started.child.close();
const settings = started.settings;
child = new TorchChild(settings.python, settings.env, DRIVER);
const info = await request({ op: "info" });
if (info.torchThreads !== threads)
  await fail(`torch runs ${info.torchThreads} threads, not ${threads}`);
if (info.openblas && info.openblas.corename !== settings.info.openblas?.corename)
  await fail(
    `OpenBLAS core ${info.openblas.corename} here, ${settings.info.openblas?.corename} when checked`,
  );
settings.info = info;
for (const line of settingsLines(settings)) console.log(`torch: ${line}`);

const summary = [];
for (const name of only) {
  const c = CONFIGS[name];
  const loadBefore = load();
  console.log(`\n[${name}] ${describe({ ...c, micro: undefined })} (one pass on both sides)`);
  const dir = mkdtempSync(join(tmpdir(), "mmc-pystep-"));
  scratch = dir;
  const spec = join(dir, "bench.mm");
  writeFileSync(spec, specFor(c));
  const pkg = join(dir, "pkg");
  const compiled = spawnSync(
    process.execPath,
    [MMC, "compile", spec, "--target", "pytorch", "-o", pkg],
    {
      encoding: "utf8",
    },
  );
  if (compiled.status !== 0)
    await fail(`mmc compile --target pytorch failed:\n${compiled.stderr}${compiled.stdout}`);
  const model = MultimodalModel.fromInput(decoderInput(c), 1);
  const exported = exportForTorch(dir, model, batchFor(c));
  const init = await request({
    op: "init",
    package: pkg,
    train: "bench",
    ...exported,
    optimizer: OPTIMIZER,
  });
  const params = model.params.count();
  model.dispose();
  if (init.referenceParams !== params || init.emittedParams !== params)
    await fail(
      `parameters: TypeScript ${params}, reference ${init.referenceParams}, emitted ${init.emittedParams}`,
    );
  const decay = [...exported.decay].sort();
  if (JSON.stringify(decay) !== JSON.stringify(init.emittedDecay))
    await fail(
      `weight decay groups differ: the runtime decays ${decay.join(", ")}; the emitted train.py ${init.emittedDecay.join(", ")}`,
    );
  console.log(
    `  ${params.toLocaleString("en")} parameters on each side; ${decay.length} decayed tensors, the same`,
  );
  // parity: the same first loss (before any update), then the losses after each update
  for (let i = 0; i < parity; i++) {
    const e = await request({ op: "step", side: "emitted" });
    const r = await request({ op: "step", side: "reference" });
    const d = rel(e.loss, r.loss);
    const limit = i === 0 ? FIRST_LOSS_TOLERANCE : LATER_LOSS_TOLERANCE;
    const ok = d <= limit && Number.isFinite(e.loss);
    console.log(
      `  step ${i + 1} loss: emitted ${e.loss.toFixed(6)}, reference ${r.loss.toFixed(6)}, relative ${d.toExponential(1)} (limit ${limit.toExponential(0)})${ok ? "" : " FAILED"}`,
    );
    if (!ok) await fail(`[${name}] the emitted step and the reference disagree (step ${i + 1})`);
  }
  await request({ op: "mark" });
  const pairs = [];
  let spent = 0;
  while (wanted !== undefined ? pairs.length < wanted : pairs.length < 5 || spent < minSeconds) {
    if (wanted === undefined && pairs.length >= 200) break;
    const e = await request({ op: "step", side: "emitted" });
    const r = await request({ op: "step", side: "reference" });
    spent += e.seconds + r.seconds;
    pairs.push({ emitted: e.seconds, reference: r.seconds });
  }
  const active = await request({ op: "active" });
  if (active.activeThreads > Math.max(1, 2 * threads - 1))
    await fail(`${active.activeThreads} threads ran during the steps with ${threads} set`);
  const loadAfter = load();
  rmSync(dir, { recursive: true, force: true });
  scratch = undefined;
  const ratios = pairs.map((p) => p.emitted / p.reference);
  const row = {
    name,
    emitted: median(pairs.map((p) => p.emitted)),
    reference: median(pairs.map((p) => p.reference)),
    ratio: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
    loadBefore,
    loadAfter,
  };
  summary.push(row);
  console.log(
    `  ${pairs.length} interleaved pairs after ${parity} parity steps (load ${loadBefore} -> ${loadAfter}):`,
  );
  console.log(
    `    emitted ${ms(row.emitted)} a step (median; ${range(pairs.map((p) => p.emitted))}), reference ${ms(row.reference)} (${range(pairs.map((p) => p.reference))})`,
  );
  console.log(
    `    emitted / reference per pair: median ${row.ratio.toFixed(2)}x, range ${row.ratioMin.toFixed(2)}-${row.ratioMax.toFixed(2)}x; threads that ran: ${active.activeThreads} of ${active.processThreads}`,
  );
}
await child.close();

console.log(`\nsummary, ${threads} thread${threads === 1 ? "" : "s"} (CPU, fp32):`);
for (const r of summary) {
  console.log(
    `  ${r.name.padEnd(7)} emitted ${ms(r.emitted).padStart(9)}  reference ${ms(r.reference).padStart(9)}  emitted/reference ${r.ratio.toFixed(2)}x [${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)}]  load ${r.loadBefore} -> ${r.loadAfter}`,
  );
}
