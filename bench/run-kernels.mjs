// Where a real run's time goes, kernel by kernel: preloaded into any `mmc run` (or a generated
// train entry), it times every outermost tfjs kernel and prints, at exit, each kind's share of the
// time spent in kernels, its calls and, for products and convolutions, the operand shapes. It
// covers what bench/step-profile.mjs cannot: the whole model of a spec (the quickstart's ViT and
// connector included), its data pipeline and evaluation around the steps.
// Run: npm run build && node --import ./bench/run-kernels.mjs bin/mmc run examples/tiny.mm \
//        --steps 100 --out /tmp/kernels-run --backend wasm   [MMC_KERNEL_ROWS=45]
import { timeKernels } from "./kernel-timer.mjs";

const rowsShown = Number(process.env.MMC_KERNEL_ROWS ?? "45");
const byKind = new Map();
let calls = 0;
const started = performance.now();

/** Products and convolutions are told apart by their operand shapes and transpose flags. */
function kindOf(name, inputs, attrs) {
  if (name !== "BatchMatMul" && !name.startsWith("Conv")) return name;
  const shapes = Object.values(inputs).map((t) => t.shape.join("x"));
  const flags = `${attrs?.transposeA ? " tA" : ""}${attrs?.transposeB ? " tB" : ""}`;
  return `${name} ${shapes.join(" * ")}${flags}`;
}

timeKernels((name, inputs, attrs, ms) => {
  calls++;
  const key = kindOf(name, inputs, attrs);
  const row = byKind.get(key) ?? { count: 0, ms: 0 };
  row.count++;
  row.ms += ms;
  byKind.set(key, row);
});

process.on("exit", () => {
  const wall = performance.now() - started;
  const rows = [...byKind].sort((a, b) => b[1].ms - a[1].ms);
  const inKernels = rows.reduce((a, [, r]) => a + r.ms, 0);
  const out = (line) => process.stderr.write(`${line}\n`);
  out(
    `${(wall / 1000).toFixed(1)} s from preload to exit, ${(inKernels / 1000).toFixed(1)} s in ` +
      `${calls} kernels (timed around each: true on wasm and cpu, dispatch time on webgpu)`,
  );
  for (const [key, r] of rows.slice(0, rowsShown))
    out(
      `${((100 * r.ms) / inKernels).toFixed(1).padStart(5)}% ${r.ms.toFixed(0).padStart(7)} ms ` +
        `${String(r.count).padStart(7)} x  ${key}`,
    );
  if (rows.length > rowsShown) {
    const rest = rows.slice(rowsShown).reduce((a, [, r]) => a + r.ms, 0);
    out(
      `${((100 * rest) / inKernels).toFixed(1).padStart(5)}% ${rest.toFixed(0).padStart(7)} ms  (${rows.length - rowsShown} more kinds)`,
    );
  }
});
