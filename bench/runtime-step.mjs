// Training-step benchmark of the mmc runtime against PyTorch on the same machine, model, weights,
// batch and thread count: steps interleaved (mmc, torch, mmc, ...) and reported as the median and
// range of the per-pair time ratios, a loss-parity check, and each side's share of its own 2-D
// matMul peak measured in the same run. See docs/benchmarks.md for the flags and the settings.
// Run: npm run build && node bench/runtime-step.mjs [--threads 2] [--only tiny] [--seconds 10 |
//      --pairs N] [--parity-steps 3] [--torch-blas DIR] [--keep-coretype] [--allow-slow-blas]
//      [--python PATH] [--no-torch] [--matmul-only] [--backend wasm|cpu] [--flat-matmul] [--no-swap]
// The defaults (tiny, 2 threads) take a few minutes; `--threads 1,2 --only tiny,mid,anchor` is
// the full run. `--torch-blas` defaults to MMC_TORCH_BLAS. `--flat-matmul`: wasm's stock
// BatchMatMul with ops/matmul.ts's explicit transposes and per-slice products (the path before
// ops/wasm-matmul.ts), to compare the two. `--no-swap`: products with a transposed a as asked,
// never as their own transpose (ops/wasm-matmul.ts swapPays).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import {
  AdamW,
  MultimodalModel,
  currentThreads,
  selectBackend,
  setWasmMatMul,
  setWasmMatMulSwap,
  trainStep,
} from "../dist/runtime/index.js";
import { productGflops } from "./matmul-peak.mjs";
import {
  CONFIGS,
  batchFor,
  decoderInput,
  describe,
  exportForTorch,
  stepFlops,
} from "./step-configs.mjs";
import { checkParity } from "./step-parity.mjs";
import { ReferenceError, settingsLines, startReference } from "./torch-reference.mjs";
import { modelCode } from "./model-code.mjs";
import { benchArgs } from "./args.mjs";

const { args, flag, option, count } = benchArgs();

const OPTIMIZER = { lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, clip: 1 };
const PEAK_SHAPES = [
  [512, 512, 512],
  [1024, 1024, 1024],
  [4096, 512, 512],
  [4096, 512, 2048],
  [4096, 2048, 512],
];

const threadList = option("threads", "2").split(",").map(Number);
// One process per thread count: the wasm backend's threads are fixed once it starts, and the
// torch child's BLAS reads its thread count when it loads.
if (threadList.length > 1) {
  let failed = 0;
  for (const n of threadList) {
    const rest = args.filter((a, i) => a !== "--threads" && args[i - 1] !== "--threads");
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), ...rest, "--threads", String(n)],
      {
        stdio: "inherit",
      },
    );
    if (r.status !== 0) failed = r.status ?? 1;
    console.log("");
  }
  process.exit(failed);
}

const threads = threadList[0];
if (!Number.isInteger(threads) || threads < 1) {
  console.error(`--threads takes counts like 1,2, not ${option("threads")}`);
  process.exit(2);
}
const only = option("only", "tiny").split(",");
for (const name of only) {
  if (CONFIGS[name] === undefined) {
    console.error(`--only takes ${Object.keys(CONFIGS).join(", ")}, not ${name}`);
    process.exit(2);
  }
}
const parity = count("parity-steps", "3");
const wanted = count("pairs", undefined);
const minSeconds = count("seconds", "10");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const load = () => loadavg()[0].toFixed(2);
const ms = (s) => (s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const gf = (x) => `${x.toFixed(1)} GFLOP/s`;

/** The current config's temporary folder, removed on every way out. */
let scratch;

function fail(message) {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  console.error(`\nbench failed: ${message}`);
  process.exit(1);
}

const backend = await selectBackend(option("backend", "wasm"), { threads });
if (flag("flat-matmul")) setWasmMatMul(false);
if (flag("no-swap")) setWasmMatMulSwap(false);
const mmcThreads = currentThreads();
if (backend === "wasm" && mmcThreads !== threads)
  fail(`the wasm backend runs ${mmcThreads} threads, not the ${threads} asked for`);
console.log(
  `== ${plural(threads, "thread")}; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(", ")} (1, 5, 15 min)`,
);
console.log(
  `mmc: backend ${backend}${mmcThreads === undefined ? "" : ` (${plural(mmcThreads, "thread")}: XNNPACK's pthreadpool in worker threads; OpenMP and BLAS settings do not apply)`}, node ${process.version}, tfjs-core ${tf.version_core}`,
);

let torch;
const cpuBackend = backend === "wasm" || backend === "cpu";
if (!cpuBackend && !flag("no-torch"))
  console.log(
    "torch: skipped: the reference runs on the CPU; time a GPU by hand with `python3 bench/torch-step.py ... cuda`",
  );
if (cpuBackend && !flag("no-torch")) {
  try {
    torch = await startReference(threads, {
      python: option("python", undefined),
      blasDir: option("torch-blas", process.env.MMC_TORCH_BLAS || undefined),
      keepCoretype: flag("keep-coretype"),
      allowSlowBlas: flag("allow-slow-blas"),
    });
  } catch (e) {
    if (e instanceof ReferenceError) fail(e.message);
    throw e;
  }
  for (const line of settingsLines(torch.settings)) console.log(`torch: ${line}`);
}

// Each side's 2-D matMul peak, measured here with the same settings as its steps.
const peakLoad = load();
const mmcPeaks = [];
for (const [m, k, n] of PEAK_SHAPES) mmcPeaks.push(await productGflops(m, k, n));
const mmcPeak = Math.max(...mmcPeaks);
let torchPeak;
let torchPeaks;
if (torch) {
  const r = await torch.child.request({ op: "peak", shapes: PEAK_SHAPES });
  torchPeaks = r.results.map((x) => x.gflops);
  torchPeak = Math.max(...torchPeaks);
  if (r.activeThreads > threads)
    fail(`${r.activeThreads} torch threads ran during torch.mm, more than the ${threads} set`);
}
console.log(`\n2-D matMul peak (load ${peakLoad}):`);
PEAK_SHAPES.forEach(([m, k, n], i) =>
  console.log(
    `  ${`${m}x${k}x${n}`.padEnd(15)} mmc ${gf(mmcPeaks[i]).padStart(15)}` +
      (torchPeaks ? `   torch ${gf(torchPeaks[i]).padStart(15)}` : ""),
  ),
);
console.log(
  `  best: mmc ${gf(mmcPeak)}${torchPeak ? `, torch ${gf(torchPeak)} (${(torchPeak / mmcPeak).toFixed(1)}x mmc's)` : ""}`,
);
if (flag("matmul-only")) {
  await torch?.child.close();
  process.exit(0);
}

const summary = [];
for (const name of only) {
  const base = CONFIGS[name];
  const c = cpuBackend ? base : { ...base, micro: undefined };
  const flops = stepFlops(c);
  const loadBefore = load();
  console.log(`\n[${name}] ${describe(c)}`);
  console.log(
    `  step FLOPs: ${(flops.total / 1e9).toFixed(2)} GFLOP (the checker's forward ${(flops.perToken / 1e6).toFixed(2)} MFLOP/token x 3 x ${c.batch * c.sequence} tokens)`,
  );
  const model = MultimodalModel.fromInput(decoderInput(c), 1);
  const code = await modelCode(decoderInput(c));
  const opt = new AdamW(model.params, OPTIMIZER);
  const batch = batchFor(c);
  const mmcStep = async () => {
    const t0 = performance.now();
    const r = await trainStep(model, opt, batch, OPTIMIZER.lr, {
      loss: code.loss,
      microBatch: c.micro,
    });
    return { ...r, seconds: (performance.now() - t0) / 1000 };
  };
  const dir = mkdtempSync(join(tmpdir(), "mmc-bench-"));
  scratch = dir;
  try {
    if (torch) {
      const init = await torch.child.request({
        op: "init",
        ...exportForTorch(dir, model, batch),
        optimizer: OPTIMIZER,
      });
      if (init.params !== model.params.count())
        fail(`torch built ${init.params} parameters, mmc has ${model.params.count()}`);
      const r = await checkParity(torch.child, model, code, batch, c.micro, dir, mmcStep, parity);
      console.log(`  parity with PyTorch, same initial weights and batch:`);
      for (const line of r.lines) console.log(`    ${line}`);
      // timing two models that compute different things compares nothing: stop here
      if (!r.ok) {
        fail(`[${name}] mmc and PyTorch disagree (the parity lines marked FAILED above)`);
      }
    } else {
      for (let i = 0; i < parity; i++) await mmcStep(); // warm-up
    }
    // Interleaved pairs: at least 5, and until `--seconds` of mmc time (or exactly `--pairs`).
    const pairs = [];
    if (torch) await torch.child.request({ op: "mark" });
    let spent = 0;
    while (wanted !== undefined ? pairs.length < wanted : pairs.length < 5 || spent < minSeconds) {
      if (wanted === undefined && pairs.length >= 200) break;
      const a = await mmcStep();
      const b = torch ? await torch.child.request({ op: "step" }) : undefined;
      spent += a.seconds;
      pairs.push({ mmc: a.seconds, torch: b?.seconds });
    }
    const loadAfter = load();
    const mmcMedian = median(pairs.map((p) => p.mmc));
    const range = (xs) => `${ms(Math.min(...xs))}-${ms(Math.max(...xs))}`;
    const mmcGf = flops.total / mmcMedian / 1e9;
    const row = { name, threads, mmc: mmcMedian, mmcGf, mmcShare: mmcGf / mmcPeak, loadBefore };
    if (torch) {
      const active = await torch.child.request({ op: "active" });
      if (active.activeThreads > Math.max(1, 2 * threads - 1))
        fail(`${active.activeThreads} torch threads ran during the steps with ${threads} set`);
      const ratios = pairs.map((p) => p.mmc / p.torch);
      const torchMedian = median(pairs.map((p) => p.torch));
      const torchGf = flops.total / torchMedian / 1e9;
      Object.assign(row, {
        torch: torchMedian,
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        torchGf,
        torchShare: torchGf / torchPeak,
      });
      console.log(
        `  ${pairs.length} interleaved pairs after ${parity} parity steps (load ${loadBefore} -> ${loadAfter}):`,
      );
      console.log(
        `    mmc ${ms(mmcMedian)} a step (median; ${range(pairs.map((p) => p.mmc))}), torch ${ms(torchMedian)} (${range(pairs.map((p) => p.torch))})`,
      );
      console.log(
        `    mmc / torch per pair: median ${row.ratio.toFixed(2)}x, range ${row.ratioMin.toFixed(2)}-${row.ratioMax.toFixed(2)}x; torch threads that ran: ${active.activeThreads} of ${active.processThreads}`,
      );
      console.log(
        `    achieved: mmc ${gf(mmcGf)} = ${(100 * row.mmcShare).toFixed(0)}% of its 2-D matMul peak; torch ${gf(torchGf)} = ${(100 * row.torchShare).toFixed(0)}% of its peak`,
      );
    } else {
      console.log(
        `  mmc ${ms(mmcMedian)} a step (median of ${pairs.length}; ${range(pairs.map((p) => p.mmc))}), ${gf(mmcGf)} = ${(100 * row.mmcShare).toFixed(0)}% of its 2-D matMul peak (load ${loadBefore} -> ${loadAfter})`,
      );
    }
    summary.push(row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    scratch = undefined;
    opt.dispose();
    model.dispose();
  }
}
await torch?.child.close();

console.log(`\nsummary, ${plural(threads, "thread")} (mmc ${backend}):`);
for (const r of summary) {
  console.log(
    `  ${r.name.padEnd(7)} mmc ${ms(r.mmc).padStart(9)} (${(100 * r.mmcShare).toFixed(0)}% of peak)` +
      (r.torch === undefined
        ? ""
        : `  torch ${ms(r.torch).padStart(9)} (${(100 * r.torchShare).toFixed(0)}% of peak)  mmc/torch ${r.ratio.toFixed(2)}x [${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)}]`) +
      `  load ${r.loadBefore}`,
  );
}
