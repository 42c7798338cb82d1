// A runtime switch A/B-tested inside one real run, step by step: preloaded into `mmc run` (or a
// generated train entry), it turns the switch on and off on alternate steps (a step ends at its
// optimizer update, the one MmcAdamW kernel a step) and prints at exit each side's median step
// (from update to update, data included) and the median of the per-pair ratios. Alternating
// inside one process keeps machine load and the model's state the same on both sides; the
// switches keep the arithmetic, so the run's losses are those of either side alone.
// Run: npm run build && MMC_AB=matmul-swap node --import ./bench/run-ab.mjs bin/mmc run \
//        examples/tiny.mm --steps 400 --out /tmp/ab-run --backend wasm
// MMC_AB: matmul-swap (ops/wasm-matmul.ts swapPays), wasm-matmul (the whole heap-offset kernel),
// gather-rows, identity-sharing (ops/wasm-kernels.ts). The first 10 steps are not counted.
import * as tf from "@tensorflow/tfjs-core";
import {
  setWasmGatherRows,
  setWasmIdentitySharing,
  setWasmMatMul,
  setWasmMatMulSwap,
} from "../dist/runtime/index.js";

const SWITCHES = {
  "matmul-swap": setWasmMatMulSwap,
  "wasm-matmul": setWasmMatMul,
  "gather-rows": setWasmGatherRows,
  "identity-sharing": setWasmIdentitySharing,
};
const name = process.env.MMC_AB ?? "";
const set = SWITCHES[name];
if (set === undefined) {
  console.error(`MMC_AB takes one of ${Object.keys(SWITCHES).join(", ")}, not "${name}"`);
  process.exit(2);
}

const engine = tf.engine();
const original = engine.runKernel.bind(engine);
const times = { on: [], off: [] };
let on = true;
let last = 0;
let updates = 0;
engine.runKernel = (kernel, inputs, attrs) => {
  const out = original(kernel, inputs, attrs);
  if (kernel === "MmcAdamW") {
    const now = performance.now();
    if (updates > 10) times[on ? "on" : "off"].push(now - last);
    last = now;
    updates++;
    on = updates % 2 === 0;
    set(on);
  }
  return out;
};

process.on("exit", () => {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const pairs = Math.min(times.on.length, times.off.length);
  const ratios = Array.from({ length: pairs }, (_, i) => times.off[i] / times.on[i]);
  process.stderr.write(
    `${name}: on ${median(times.on).toFixed(1)} ms a step (${times.on.length}), off ` +
      `${median(times.off).toFixed(1)} ms (${times.off.length}); off / on per pair: median ` +
      `${median(ratios).toFixed(3)} over ${pairs} pairs\n`,
  );
});
