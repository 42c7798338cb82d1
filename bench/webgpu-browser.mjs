// The training step on tfjs's webgpu backend for real, where the machine has no GPU: headless
// chromium with SwiftShader (bench/chromium-webgpu.mjs). One page trains the same model from
// the same weights on cpu and on webgpu; this prints both runs' losses (they must agree: cpu
// runs the JS-loop fused kernels, webgpu the WGSL ones, so each is checked against the other)
// and, per step, the tfjs kernels and what reached WebGPU: compute dispatches by kernel and by
// phase, queue submits, buffer readbacks, buffers and bind groups made. SwiftShader emulates the GPU on the CPU: the step
// times it shows say nothing about a GPU's.
// Run: npm run build && node bench/webgpu-browser.mjs [--config tiny|mid] [--steps N]
//      [--sequence N] [--batch N] [--moe EXPERTS,TOPK,CAPACITY] [--softmax-fused | --softmax-ops]
//      [--attention-fused] [--fused-vs-ops] [--json FILE]
// --softmax-fused / --softmax-ops force attention's fused masked softmax on or off on both
// backends (ops/fused-switch.ts; by default it is fused on cpu only). --attention-fused turns
// the fused attention core (ops/fused-attention.ts; off by default everywhere) on, on both.
// --fused-vs-ops trains on webgpu twice instead, every fused kernel on (the optimizer, the norms,
// the layer ops, the attention core, raw dispatches) against every one off (all op by op), and
// compares those two runs' losses.
// --moe makes every layer's MLP a mixture of experts: cpu then routes on the host and webgpu on
// the device (layers/moe.ts), so the losses compare the two routings too.
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { haveChromium, runInChromium } from "./chromium-webgpu.mjs";
import { RUNTIME_PATH, modelCodeText } from "./model-code.mjs";
import { CONFIGS, decoderInput, describe } from "./step-configs.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const which = option("config", "tiny");
const base = CONFIGS[which];
if (base === undefined) {
  console.error(`--config takes ${Object.keys(CONFIGS).join(", ")}, not ${which}`);
  process.exit(2);
}
if (!haveChromium) {
  console.error("no chromium (set MMC_CHROMIUM or `apt-get install -y chromium`)");
  process.exit(2);
}
const config = {
  ...base,
  sequence: Number(option("sequence", String(base.sequence))),
  batch: Number(option("batch", String(base.batch))),
  micro: undefined,
};
const moe = option("moe", undefined);
if (moe !== undefined) {
  const [experts, topK, capacity] = moe.split(",").map(Number);
  config.moe = { experts, top_k: topK, capacity, every: 1 };
}
const steps = Number(option("steps", "3"));

const dir = mkdtempSync(join(tmpdir(), "mmc-webgpu-"));
writeFileSync(join(dir, "models.mjs"), modelCodeText(decoderInput(config), RUNTIME_PATH));
const page = fileURLToPath(new URL("./webgpu-step-page.mjs", import.meta.url));
writeFileSync(
  join(dir, "entry.mjs"),
  `import { BenchCode } from "./models.mjs";\nimport { install } from ${JSON.stringify(page)};\ninstall(BenchCode);\n`,
);
const ALL = [
  "swiglu",
  "rope",
  "crossEntropy",
  "maskedSoftmax",
  "attention",
  "layerNorm",
  "gelu",
  "rmsNorm",
];
const fusedVsOps = args.includes("--fused-vs-ops");
const every = (on) => Object.fromEntries(ALL.map((k) => [k, on]));
const { value, adapter, logs } = await runInChromium(join(dir, "entry.mjs"), {
  config,
  steps,
  backends: ["cpu", "webgpu"],
  ...(fusedVsOps
    ? {
        runs: [
          { backend: "webgpu", fusedOps: every(false), adamFused: false, raw: false },
          { backend: "webgpu", fusedOps: every(true), adamFused: true, raw: true },
        ],
      }
    : {}),
  fusedOps: {
    ...(process.argv.includes("--softmax-fused")
      ? { maskedSoftmax: true }
      : process.argv.includes("--softmax-ops")
        ? { maskedSoftmax: false }
        : {}),
    ...(process.argv.includes("--attention-fused") ? { attention: true } : {}),
  },
});
if (adapter === undefined || value === undefined) {
  console.error("chromium gave no WebGPU adapter");
  for (const l of logs) console.error(`  ${l}`);
  process.exit(1);
}
const moeNote = config.moe ? `, MoE ${moe} (experts, top-k, capacity)` : "";
console.log(
  `${which}: ${describe(config)}${moeNote}; adapter ${adapter.vendor} ${adapter.architecture}`,
);
const [cpu, gpu] = value;
const [refName, gpuName] = fusedVsOps ? ["webgpu op by op", "webgpu fused"] : ["cpu", "webgpu"];
let worst = 0;
for (let i = 0; i < cpu.losses.length; i++) {
  const d = Math.abs(cpu.losses[i] - gpu.losses[i]);
  worst = Math.max(worst, d);
  console.log(
    `  step ${i}: loss ${refName} ${cpu.losses[i].toFixed(7)}  ${gpuName} ${gpu.losses[i].toFixed(7)}  |diff| ${d.toExponential(2)}`,
  );
}
if (config.moe)
  console.log(
    `  MoE dropped share per layer, last step: cpu ${cpu.moeDropped
      .at(-1)
      .map((d) => d.toFixed(4))
      .join(" ")}, ` +
      `webgpu ${gpu.moeDropped
        .at(-1)
        .map((d) => d.toFixed(4))
        .join(" ")}`,
  );
console.log(`largest loss difference ${worst.toExponential(2)} over ${cpu.losses.length} steps`);
for (const [i, r] of value.entries()) {
  console.log(
    `${[refName, gpuName][i]} (AdamW ${r.fusedAdamW ? "fused" : "op by op"}, ${r.parameterTensors} parameter tensors): ` +
      `${r.kernelsPerStep} tfjs kernels a step`,
  );
}
const g = gpu.gpu;
console.log(
  `webgpu per step: ${g.dispatches} compute dispatches, ${g.submits} submits, ${g.readbacks} readbacks, ` +
    `${g.buffers} buffers and ${g.bindGroups} bind groups made, ${g.pipelines} pipelines compiled`,
);
console.log("  dispatches by phase:");
for (const [k, n] of Object.entries(gpu.gpuByPhase)) console.log(`    ${k.padEnd(20)} ${n}`);
console.log("  dispatches by kernel (tfjs kernel: GPU dispatches / calls):");
for (const [k, n] of Object.entries(gpu.gpuByKernel))
  console.log(`    ${k.padEnd(24)} ${String(n).padStart(6)} / ${gpu.kernels[k] ?? 0}`);
const zero = Object.entries(gpu.kernels).filter(([k]) => gpu.gpuByKernel[k] === undefined);
if (zero.length > 0)
  console.log(
    `  kernels with no dispatch (views, reshapes): ${zero.map(([k, n]) => `${k} ${n}`).join(", ")}`,
  );
console.log(
  `SwiftShader step ${gpu.msPerStep.toFixed(0)} ms, ${refName} ${cpu.msPerStep.toFixed(0)} ms (CPU emulation: not a GPU timing); load ${loadavg()[0].toFixed(2)}`,
);
const json = option("json", undefined);
if (json !== undefined)
  writeFileSync(
    json,
    JSON.stringify(
      { config: which, shape: describe(config), adapter, worst, runs: value },
      null,
      2,
    ) + "\n",
  );
if (worst > 1e-4) process.exit(1);
