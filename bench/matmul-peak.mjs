// Matrix-product throughput of each TensorFlow.js backend that loads here, the ceiling every
// training-step figure is measured against. Timing waits for the result (await data()), so a GPU
// backend's queued work is counted, not just its dispatch.
// Run: npm run build && node bench/matmul-peak.mjs [--backends webgpu,wasm,cpu] [--sizes 512,1024,2048]
//      [--threads N] [--torch] [--torch-blas DIR]
// --torch adds torch.mm in a child with runtime-step.mjs's BLAS and thread settings (see
// bench/torch-reference.mjs), --threads sets both sides' threads.
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { selectBackend, webgpuAdapterInUse } from "../dist/runtime/backend.js";
import { ReferenceError, settingsLines, startReference } from "./torch-reference.mjs";

/**
 * GFLOP/s of an [m, k] x [k, n] product on the current backend. Runs the product 2^i times and
 * awaits the last result, so a GPU backend's queued work is inside the timing.
 */
export async function productGflops(m, k, n) {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const run = async (times) => {
    let last;
    for (let i = 0; i < times; i++) {
      last?.dispose();
      last = tf.matMul(a, b);
    }
    await last.data();
    last.dispose();
  };
  await run(2); // compile shaders, warm caches
  let reps = 1;
  let seconds = 0;
  for (;;) {
    const t0 = performance.now();
    await run(reps);
    seconds = (performance.now() - t0) / 1000;
    if (seconds > 0.5 || reps >= 256) break;
    reps *= 2;
  }
  tf.dispose([a, b]);
  return (2 * m * k * n * reps) / seconds / 1e9;
}

// Run as a program (runtime-step.mjs imports productGflops).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const backends = option("backends", "webgpu,wasm").split(",");
  const sizes = option("sizes", "512,1024,2048").split(",").map(Number);
  const threads = option("threads", undefined);

  for (const name of backends) {
    try {
      await selectBackend(name, threads === undefined ? {} : { threads: Number(threads) });
    } catch (e) {
      console.log(`${name}: did not load (${e instanceof Error ? e.message.split("\n")[0] : e})`);
      continue;
    }
    const adapter = webgpuAdapterInUse();
    const parts = [];
    for (const n of sizes) parts.push(`${n}: ${(await productGflops(n, n, n)).toFixed(1)}`);
    console.log(
      `${name}${adapter ? ` (${adapter.description})` : ""}: GFLOP/s by size ${parts.join(", ")}`,
    );
  }
  if (args.includes("--torch")) {
    try {
      const { child, settings } = await startReference(Number(threads ?? 2), {
        blasDir: option("torch-blas", process.env.MMC_TORCH_BLAS || undefined),
      });
      for (const line of settingsLines(settings)) console.log(`torch: ${line}`);
      const r = await child.request({ op: "peak", shapes: sizes.map((n) => [n, n, n]) });
      await child.close();
      const parts = r.results.map((x, i) => `${sizes[i]}: ${x.gflops.toFixed(1)}`).join(", ");
      console.log(`torch.mm: GFLOP/s by size ${parts} (${r.activeThreads} threads ran)`);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      console.log(`torch: ${e.message}`);
      process.exitCode = 1;
    }
  }
}
