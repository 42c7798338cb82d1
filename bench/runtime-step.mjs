// Training-step benchmark of the mmc runtime: step time and achieved FLOP/s for a tiny and a
// mid-size decoder, as a fraction of the backend's own 2-D matMul throughput measured in the same
// run, against a plain tfjs decoder (bench/runtime-baseline.mjs) and PyTorch when installed.
// Run: npx tsc -p tsconfig.build.json && node bench/runtime-step.mjs [--backend wasm] [--only tiny|mid]
//      [--threads N] [--steps N] [--baseline-steps N] [--no-baseline] [--no-torch] [--profile]
//      [--profile-config tiny|mid] [--profile-batch N] [--matmul-only]
// --threads N: the wasm backend's threads (1: single-threaded SIMD build; 2 to 8: the threaded
// build); default MMC_THREADS, else the runtime's default. --matmul-only stops after the matMuls.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import {
  AdamW,
  MultimodalModel,
  currentThreads,
  selectBackend,
  trainStep,
} from "../dist/runtime/index.js";
import { productGflops } from "./matmul-peak.mjs";
import { plainDecoderLoss } from "./runtime-baseline.mjs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

const CONFIGS = {
  tiny: { vocab: 512, width: 128, depth: 2, heads: 4, hidden: 512, batch: 8, sequence: 64 },
  // 16 x 256 tokens do not fit the wasm heap (4 GiB) in one pass: 4 passes of 4 rows, accumulated
  // (on wasm and cpu only; a GPU backend takes the batch in one pass)
  mid: {
    vocab: 512,
    width: 512,
    depth: 8,
    heads: 8,
    hidden: 2048,
    batch: 16,
    sequence: 256,
    micro: 4,
  },
};

/** Training FLOPs of one step: 3x forward; forward = 2 x matmul params per token + attention. */
function stepFlops(c) {
  const perLayer =
    12 * c.width * c.width * (c.hidden / (4 * c.width)) +
    4 * c.width * c.width -
    4 * c.width * c.width;
  const matmulParams =
    c.depth * (4 * c.width * c.width + 2 * c.width * c.hidden) + c.width * c.vocab;
  const attention = c.depth * 4 * c.sequence * c.width; // scores + weighted sum, full square
  void perLayer;
  return 3 * c.batch * c.sequence * (2 * matmulParams + attention);
}

async function matmulPeak() {
  const shapes = [
    [512, 512, 512],
    [1024, 1024, 1024],
    [4096, 512, 512],
    [4096, 512, 2048],
    [4096, 2048, 512],
  ];
  const out = [];
  for (const [m, k, n] of shapes)
    out.push({ shape: `${m}x${k}x${n}`, gflops: await productGflops(m, k, n) });
  return out;
}

function decoderInput(c) {
  return {
    llm: {
      kind: "Decoder",
      config: {
        vocab: c.vocab,
        width: c.width,
        depth: c.depth,
        heads: c.heads,
        context: c.sequence,
        mlp: { fn: "gelu", hidden: c.hidden },
        position: "learned",
        norm: "layer",
        biases: "none",
      },
    },
  };
}

function batchFor(c, seed = 1) {
  const n = c.batch * c.sequence;
  const tokens = new Int32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    tokens[i] = s % c.vocab;
  }
  const lossMask = new Uint8Array(n).fill(1);
  return { batchSize: c.batch, sequence: c.sequence, tokens, lossMask };
}

// trainStep may return a promise (async reads for GPU backends): await it either way.
async function benchOurs(c, steps) {
  const model = MultimodalModel.fromInput(decoderInput(c), 1);
  const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
  const batch = batchFor(c);
  await trainStep(model, opt, batch, 1e-4, { microBatch: c.micro });
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await trainStep(model, opt, batch, 1e-4, { microBatch: c.micro });
    times.push((performance.now() - t0) / 1000);
  }
  const leaks = tf.memory().numTensors;
  opt.dispose();
  return { model, seconds: Math.min(...times), times, tensors: leaks };
}

function benchPlain(c, model, steps) {
  const opt = new AdamW(model.params, { lr: 1e-4, weightDecay: 0.1, clip: 1 });
  const batch = batchFor(c);
  const names = new Map(model.params.entries().map(([n, v]) => [v.name, n]));
  const vars = model.params.entries().map(([, v]) => v);
  // the plain version keeps every intermediate of a pass: it needs smaller passes to fit the heap
  const rows = Number(option("baseline-micro", String(c.micro ? c.micro / 2 : c.batch)));
  const step = () => {
    const byName = new Map();
    for (let r = 0; r < c.batch; r += rows) {
      const part = batch.tokens.subarray(r * c.sequence, (r + rows) * c.sequence);
      const { value, grads } = tf.variableGrads(() => {
        const tokens = tf.tensor2d(part, [rows, c.sequence], "int32");
        const targets = tf.tensor1d(
          part.map((_, i) => part[i + 1] ?? 0),
          "int32",
        );
        const mask = tf.ones([rows * c.sequence]);
        return tf.mul(
          plainDecoderLoss(
            (n) => model.params.get(n),
            { ...c, batch: rows },
            tokens,
            targets,
            mask,
          ),
          rows / c.batch,
        );
      }, vars);
      value.dataSync();
      value.dispose();
      for (const [k, g] of Object.entries(grads)) {
        const name = names.get(k);
        const prev = byName.get(name);
        byName.set(name, prev === undefined ? g : tf.add(prev, g));
        if (prev !== undefined) tf.dispose([prev, g]);
      }
    }
    const norm = AdamW.globalNorm(byName);
    opt.apply(byName, 1e-4, norm.dataSync()[0]);
    tf.dispose([norm, ...byName.values()]);
  };
  if (!flag("baseline-no-warmup")) step();
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push((performance.now() - t0) / 1000);
  }
  opt.dispose();
  return { seconds: Math.min(...times), times };
}

/** Wall time per kernel for one step: wraps the engine's runKernel (wasm and cpu run synchronously). */
async function profileStep(c) {
  const model = MultimodalModel.fromInput(decoderInput(c), 1);
  const opt = new AdamW(model.params, { lr: 1e-4 });
  const batch = batchFor(c);
  await trainStep(model, opt, batch, 1e-4);
  const engine = tf.engine();
  const original = engine.runKernel.bind(engine);
  const byKernel = new Map();
  let depth = 0;
  engine.runKernel = (name, inputs, attrs) => {
    depth++;
    const t0 = performance.now();
    try {
      return original(name, inputs, attrs);
    } finally {
      depth--;
      if (depth === 0) {
        let key = name;
        if (name === "BatchMatMul") {
          const shapes = Object.values(inputs).map((t) => t.shape);
          key = `BatchMatMul ${shapes.map((s) => s.join("x")).join(" * ")}${attrs?.transposeA || attrs?.transposeB ? " (T)" : ""}`;
          if (shapes[0].length === 2 && !(attrs?.transposeA || attrs?.transposeB))
            key = process.env.MMC_PROFILE_SHAPES
              ? `MatMul ${shapes.map((s) => s.join("x")).join(" * ")}`
              : "MatMul 2-D (XNNPACK)";
        }
        byKernel.set(key, (byKernel.get(key) ?? 0) + performance.now() - t0);
      }
    }
  };
  const t0 = performance.now();
  await trainStep(model, opt, batch, 1e-4);
  const wall = performance.now() - t0;
  engine.runKernel = original;
  opt.dispose();
  model.dispose();
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  const rows = [...byKernel.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14)
    .map(([name, ms]) => ({
      kernel: name,
      ms: Math.round(ms),
      share: `${((100 * ms) / wall).toFixed(1)}%`,
    }));
  rows.push({
    kernel: "(outside kernels)",
    ms: Math.round(wall - total),
    share: `${((100 * (wall - total)) / wall).toFixed(1)}%`,
  });
  return rows;
}

// The same decoder in PyTorch (bench/torch-step.py), run on the CPU.
const TORCH = fileURLToPath(new URL("./torch-step.py", import.meta.url));

function torchPython() {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
      return py;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

function benchTorch(py, c, threads, steps) {
  const out = execFileSync(
    py,
    [
      TORCH,
      ...[c.vocab, c.width, c.depth, c.heads, c.hidden, c.batch, c.sequence, threads, steps].map(
        String,
      ),
    ],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(out.trim().split("\n").pop());
}

const threadsOption = option("threads", undefined);
const backend = await selectBackend(option("backend", "wasm"), {
  ...(threadsOption !== undefined ? { threads: Number(threadsOption) } : {}),
});
const only = option("only", undefined);
const steps = Number(option("steps", "2"));
const baselineSteps = Number(option("baseline-steps", "1"));
const threads = currentThreads();
console.log(
  `backend ${backend}${threads === undefined ? "" : ` (${threads} thread${threads === 1 ? "" : "s"})`}, node ${process.version}, tfjs-core ${tf.version_core}`,
);
const peaks = await matmulPeak();
const peak = Math.max(...peaks.map((p) => p.gflops));
for (const p of peaks) console.log(`2-D matMul ${p.shape}: ${p.gflops.toFixed(1)} GFLOP/s`);
console.log(`reference throughput (best 2-D matMul): ${peak.toFixed(1)} GFLOP/s`);
if (flag("matmul-only")) process.exit(0);
const py = flag("no-torch") ? undefined : torchPython();

for (const [name, config] of Object.entries(CONFIGS)) {
  const c = backend === "wasm" || backend === "cpu" ? config : { ...config, micro: undefined };
  if (only !== undefined && only !== name) continue;
  const flops = stepFlops(c);
  if (flag("torch-only")) {
    for (const threads of [1, 2]) {
      const t = benchTorch(py, c, threads, Math.max(2, steps));
      console.log(
        `[${name}] PyTorch ${t.torch} (${threads} thread${threads > 1 ? "s" : ""}): ${t.seconds.toFixed(3)} s/step, ${(flops / t.seconds / 1e9).toFixed(1)} GFLOP/s`,
      );
    }
    continue;
  }
  const ours = await benchOurs(c, steps);
  const gf = flops / ours.seconds / 1e9;
  console.log(
    `\n[${name}] width ${c.width}, depth ${c.depth}, heads ${c.heads}, mlp gelu(${c.hidden}), vocab ${c.vocab}, batch ${c.batch} x ${c.sequence} tokens${c.micro ? ` (${c.batch / c.micro} passes of ${c.micro} rows)` : ""}`,
  );
  console.log(`  step FLOPs (train, analytic): ${(flops / 1e9).toFixed(1)} GFLOP`);
  console.log(
    `  mmc runtime: ${ours.seconds.toFixed(3)} s/step (runs: ${ours.times.map((t) => t.toFixed(2)).join(", ")}), ${gf.toFixed(1)} GFLOP/s = ${((100 * gf) / peak).toFixed(0)}% of 2-D matMul, ${((c.batch * c.sequence) / ours.seconds).toFixed(0)} tokens/s`,
  );
  if (!flag("no-baseline")) {
    const plain = benchPlain(c, ours.model, baselineSteps);
    console.log(
      `  plain tfjs:  ${plain.seconds.toFixed(3)} s/step -> mmc is ${(plain.seconds / ours.seconds).toFixed(2)}x faster`,
    );
  }
  ours.model.dispose();
  if (py !== undefined) {
    for (const threads of [1, 2]) {
      const t = benchTorch(py, c, threads, Math.max(2, steps));
      console.log(
        `  PyTorch ${t.torch} (${threads} thread${threads > 1 ? "s" : ""}): ${t.seconds.toFixed(3)} s/step -> mmc takes ${(ours.seconds / t.seconds).toFixed(2)}x as long`,
      );
    }
  } else if (!flag("no-torch")) {
    console.log("  PyTorch: not installed (python3 -c 'import torch' failed); skipped");
  }
}

if (flag("profile")) {
  // --profile-config tiny profiles the tiny decoder (at its own batch) instead of the mid one
  const which = option("profile-config", "mid");
  const base = CONFIGS[which];
  if (base === undefined) throw new Error(`--profile-config must be tiny or mid, not ${which}`);
  const batch = option("profile-batch", which === "mid" ? "2" : String(base.batch));
  const c = { ...base, batch: Number(batch) };
  console.log(
    `\nwhere the time goes (one ${which === "mid" ? "mid-size" : which} step at batch ${c.batch}, kernel time by kernel):`,
  );
  for (const row of await profileStep(c))
    console.log(`  ${row.kernel.padEnd(44)} ${String(row.ms).padStart(7)} ms  ${row.share}`);
}
