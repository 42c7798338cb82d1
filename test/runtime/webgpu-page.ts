// The page test/runtime/webgpu-browser.test.ts runs in chromium (bundled with esbuild): the MoE
// routing cases of moe-cases.ts, the host routing on cpu against the device routing on webgpu,
// in one page. `window.__mmcRun` resolves to what each case found.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import {
  caseShape,
  deviceDispatch,
  hostDispatch,
  layerCase,
  largestDifference,
  randomProbs,
} from "./moe-cases.js";

async function use(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

interface Args {
  readonly routingSeeds: number[];
  readonly layerSeeds: number[];
}

async function run({ routingSeeds, layerSeeds }: Args) {
  const routing = [];
  for (const seed of routingSeeds) {
    const s = caseShape(seed);
    const probs = randomProbs(seed, s);
    await use("cpu");
    const host = hostDispatch(probs, s);
    await use("webgpu");
    const dev = await deviceDispatch(probs, s);
    routing.push({ seed, shape: s, host, dev });
  }
  const layers = [];
  for (const seed of layerSeeds) {
    await use("cpu");
    const host = await layerCase(seed, "host");
    await use("webgpu");
    const dev = await layerCase(seed, "device");
    layers.push({
      seed,
      difference: largestDifference(host, dev),
      hostDropped: host.dropped,
      devDropped: dev.dropped,
    });
  }
  return { backend: tf.getBackend(), routing, layers };
}

(globalThis as unknown as { __mmcRun: typeof run }).__mmcRun = run;
