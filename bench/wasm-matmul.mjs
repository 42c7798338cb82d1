// wasm products with a transposed a (weight gradients x^T dy, attention's p^T do) run two ways in
// ops/wasm-matmul.ts: as asked (a transposed into scratch, b packed by XNNPACK as its weights) or
// as their own transpose, C^T = B^T A (a packed, on a kept alias id where it is 2-D so that the
// packing serves the products that follow on it; b transposed; the result transposed into
// place). The kernel picks by swapPays. This times both on the quickstart's transposed-a products
// (the tiny decoder and its ViT), each group of calls on fresh operands as in a step (an input
// shared by q, k and v is one tensor used three times), alternated round by round; it says which
// way the kernel picks and whether the two agree to the bit.
// Run: npm run build && node bench/wasm-matmul.mjs [--rounds N] [--threads N] [--mid]
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend, setWasmMatMulSwap } from "../dist/runtime/index.js";
import { planProduct, swapPays } from "../dist/runtime/ops/wasm-matmul.js";
import { benchArgs } from "./args.mjs";

const { count, flag } = benchArgs();
const rounds = count("rounds", "7");
const threads = count("threads", "2");
await selectBackend("wasm", { threads });

// [a shape, b shape, transposeB, uses of one a, what, groups a quickstart step has]
const SHAPES = [
  [[1024, 128], [1024, 128], false, 3, "x^T dq, x^T dk, x^T dv (one x)", 2],
  [[1024, 128], [1024, 344], false, 2, "x^T dgate, x^T dup (one x)", 2],
  [[1024, 128], [1024, 128], false, 1, "attention output weight gradient", 2],
  [[1024, 344], [1024, 128], false, 1, "SwiGLU down weight gradient", 2],
  [[1024, 128], [1024, 260], false, 1, "output head weight gradient", 1],
  [[780, 64], [780, 64], false, 3, "ViT q, k, v weight gradients (one x)", 2],
  [[780, 64], [780, 256], false, 1, "ViT MLP up weight gradient", 2],
  [[16, 128, 64], [16, 128, 128], false, 1, "attention, the key side (q^T ds)", 2],
  [[16, 128, 128], [16, 128, 64], false, 1, "attention dv (p^T do)", 2],
];
// The mid decoder's (bench/step-configs.mjs: width 512, GELU 2048, 4 x 256 tokens a pass).
const MID = [
  [[1024, 512], [1024, 512], false, 3, "mid x^T dq, dk, dv (one x)", 0],
  [[1024, 512], [1024, 2048], false, 1, "mid MLP up weight gradient", 0],
  [[1024, 2048], [1024, 512], false, 1, "mid MLP down weight gradient", 0],
  [[32, 256, 64], [32, 256, 256], false, 1, "mid attention, the key side", 0],
];

function values(shape, seed) {
  const n = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.731 + seed)),
    shape,
  );
}

/** One group: a fresh a (as a step's activation is) used `uses` times, each with its own b. */
const group = (a0, bs, tb) =>
  tf.tidy(() => {
    const a = tf.add(a0, 0);
    return bs.map((b) => tf.matMul(a, b, true, tb));
  });
const time = (a0, bs, tb, calls) => {
  for (let i = 0; i < 3; i++) tf.dispose(group(a0, bs, tb));
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) tf.dispose(group(a0, bs, tb));
  return (performance.now() - t0) / calls;
};
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

console.log(`wasm, ${threads} threads, load ${loadavg()[0].toFixed(1)}, ${rounds} rounds of 20`);
let stepDirect = 0;
let stepSwapped = 0;
for (const [as, bs, tb, uses, what, perStep] of flag("mid") ? [...SHAPES, ...MID] : SHAPES) {
  const a0 = values(as, 1);
  const bList = Array.from({ length: uses }, (_, i) => values(bs, 2 + i));
  const times = { direct: [], swapped: [] };
  for (let r = 0; r < rounds; r++)
    for (const swap of [false, true]) {
      setWasmMatMulSwap(swap);
      times[swap ? "swapped" : "direct"].push(time(a0, bList, tb, 20));
    }
  setWasmMatMulSwap(false);
  const d = group(a0, bList, tb);
  setWasmMatMulSwap(true);
  const s = group(a0, bList, tb);
  let same = true;
  d.forEach((t, i) => {
    const dv = t.dataSync();
    const sv = s[i].dataSync();
    for (let j = 0; j < dv.length; j++) if (dv[j] !== sv[j]) same = false;
  });
  tf.dispose([a0, ...bList, ...d, ...s]);
  const picks = swapPays(planProduct(as, bs, true, tb), true, tb) ? "swapped" : "direct";
  const md = median(times.direct);
  const ms = median(times.swapped);
  stepDirect += perStep * md;
  stepSwapped += perStep * ms;
  const product = `${uses} x [${as}]^T x [${bs}]${tb ? "^T" : ""}`;
  console.log(
    `${product.padEnd(36)} direct ${md.toFixed(3)} ms  swapped ${ms.toFixed(3)} ms  ` +
      `(${(md / ms).toFixed(2)}x)  first picks ${picks.padEnd(7)} ${same ? "bit-identical" : "VALUES DIFFER"}  ${what}`,
  );
}
setWasmMatMulSwap(true);
console.log(
  `these groups in a quickstart step: ${stepDirect.toFixed(2)} ms direct, ${stepSwapped.toFixed(2)} ms swapped where picked`,
);
