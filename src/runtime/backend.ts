// Backend selection: `auto` takes the fastest TensorFlow.js backend that loads (native tensorflow,
// webgpu on a hardware adapter, wasm, cpu); asking for one that does not load is an error that
// says what to install.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { escapeControls } from "./escape.js";
import "./ops/gradients.js";
import { installWasmKernels } from "./ops/wasm-kernels.js";
import { installWasmMatMul } from "./ops/wasm-matmul.js";
import { DEFAULT_WASM_THREADS, MAX_WASM_THREADS } from "./threads.js";
import { startThreadedWasm } from "./wasm-threads.js";
import {
  ensureNavigatorGpu,
  probeAdapter,
  probeWebgpuIsolated,
  type IsolatedProbe,
  type WebgpuAdapter,
} from "./webgpu-node.js";
import { guardWebgpuMatMul } from "./ops/webgpu-matmul.js";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";
export type BackendChoice = BackendName | "auto";

export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

/** A requested backend could not be loaded; `message` says what to install. */
export class BackendError extends Error {
  constructor(
    readonly backend: BackendName,
    message: string,
  ) {
    super(message);
    this.name = "BackendError";
  }
}

const INSTALL_HINT: Record<BackendName, string> = {
  tensorflow:
    "install @tensorflow/tfjs-node-gpu (CUDA machines) or @tensorflow/tfjs-node, version 4.22, next to mmc: `npm install @tensorflow/tfjs-node@4.22.0` (it downloads libtensorflow when it installs)",
  webgpu:
    "mmc installs @tensorflow/tfjs-backend-webgpu and `webgpu` (Dawn's Node binding) as optional dependencies: reinstall them if `npm ci --omit=optional` left them out, and on Linux install the Vulkan loader and your GPU's Vulkan driver (Debian: `apt-get install libvulkan1` plus the vendor's driver)",
  wasm: "reinstall @tensorflow/tfjs-backend-wasm@4.22.0 (its .wasm files must be in dist/)",
  cpu: "reinstall @tensorflow/tfjs-backend-cpu@4.22.0",
};

// A variable specifier keeps TypeScript and bundlers from requiring the optional packages.
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

async function loadTensorflow(): Promise<void> {
  let lastError: unknown;
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      await importOptional(pkg);
      if (tf.findBackendFactory("tensorflow") !== null) return;
      // The binding registered into another copy of tfjs-core: it cannot serve this one.
      lastError = new Error(
        `${pkg} loaded but registered no backend with this @tensorflow/tfjs-core`,
      );
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

let webgpuAdapter: WebgpuAdapter | undefined;

/** The WebGPU adapter in use (after selectBackend picked webgpu), for logs. */
export function webgpuAdapterInUse(): WebgpuAdapter | undefined {
  return tf.getBackend() === "webgpu" ? webgpuAdapter : undefined;
}

let isolatedProbe: Promise<IsolatedProbe> | undefined;

/** Dawn's first line worth showing (its stack lines start with `at`), quoted and escaped. */
function dawnSaid(noise: readonly string[]): string {
  const line = noise.map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("at "));
  if (line === undefined) return "";
  return ` (Dawn: "${escapeControls(line.slice(0, 200))}")`;
}

async function loadWebgpu(auto: boolean): Promise<void> {
  // Look first in a child process, so Dawn's warnings on a machine without a usable GPU never
  // reach the user's terminal; load Dawn here only where an adapter is worth using.
  isolatedProbe ??= probeWebgpuIsolated();
  const probe = await isolatedProbe;
  if (probe.adapter === undefined)
    throw new Error(`${probe.error ?? "no WebGPU adapter"}${dawnSaid(probe.noise)}`);
  if (auto && probe.adapter.fallback) {
    throw new Error(
      `the WebGPU adapter is a software one (${probe.adapter.description}), slower than wasm`,
    );
  }
  const gpu = await ensureNavigatorGpu();
  const adapter = await probeAdapter(gpu);
  if (auto && adapter.fallback) {
    throw new Error(
      `the WebGPU adapter is a software one (${adapter.description}), slower than wasm`,
    );
  }
  webgpuAdapter = adapter;
  await importOptional("@tensorflow/tfjs-backend-webgpu");
  guardWebgpuMatMul();
}

let wasmPathsSet = false;

/** The folder holding the .wasm binaries (setWasmPaths needs it in Node: there is no page URL). */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  // `main` is dist/tf-backend-wasm.node.js (or similar) inside the package's dist folder.
  return join(dirname(main), "/");
}

async function loadWasm(): Promise<void> {
  if (!wasmPathsSet) {
    setWasmPaths(wasmDistDir());
    wasmPathsSet = true;
  }
}

/** The threads asked for: `threads`, else MMC_THREADS, else DEFAULT_WASM_THREADS. */
export function wasmThreadsWanted(
  threads: number | undefined,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = threads ?? env["MMC_THREADS"];
  if (raw === undefined || raw === "") return DEFAULT_WASM_THREADS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    const source = threads === undefined ? "MMC_THREADS" : "threads";
    throw new BackendError(
      "wasm",
      `${source} must be a whole number from 1 to ${MAX_WASM_THREADS}, not \`${String(raw)}\``,
    );
  }
  return n;
}

// The "wasm" factory tfjs-backend-wasm registered when imported: the single-threaded SIMD build.
const stockWasmFactory = tf.findBackendFactory("wasm");
// Threads of the wasm backend the registered factory makes (1: the stock factory).
let wasmThreads = 1;

/**
 * Registers the "wasm" factory for `threads`: the stock one for 1, the threaded build (started
 * here, so a failure is caught here) for more. Where threads do not start, says so in one line
 * and keeps the single-threaded build. A backend made for another count is disposed.
 */
async function useWasmThreads(threads: number, note: (line: string) => void): Promise<void> {
  if (threads === wasmThreads) return;
  let factory = stockWasmFactory;
  let got = 1;
  if (threads > 1) {
    try {
      const backend = await startThreadedWasm(threads);
      factory = () => backend;
      got = threads;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      note(
        `note: the multi-threaded wasm build did not start (${reason}); using the single-threaded one`,
      );
    }
  }
  if (got === wasmThreads) return;
  if (tf.findBackendFactory("wasm") !== null) tf.removeBackend("wasm");
  tf.registerBackend("wasm", factory, 2); // 2: tfjs-backend-wasm's own priority
  wasmThreads = got;
}

/**
 * Threads the backend in use computes with: the wasm backend's XNNPACK pool, 1 on cpu, and
 * undefined where the backend manages its own (tensorflow, webgpu).
 */
export function currentThreads(): number | undefined {
  const name = tf.getBackend();
  if (name === "cpu") return 1;
  if (name !== "wasm") return undefined;
  const wasm = (tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?(): number } } })
    .wasm;
  return wasm?.tfjs?.getThreadsCount?.() ?? 1;
}

const LOADERS: Record<BackendName, (auto: boolean) => Promise<void>> = {
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: async () => {},
};

async function tryBackend(
  name: BackendName,
  auto: boolean,
  options: BackendOptions,
): Promise<unknown> {
  try {
    await LOADERS[name](auto);
    if (name === "wasm")
      await useWasmThreads(
        wasmThreadsWanted(options.threads),
        options.note ?? ((line) => void process.stderr.write(`${line}\n`)),
      );
    const ok = await tf.setBackend(name);
    if (!ok) return new Error(`tf.setBackend("${name}") returned false`);
    await tf.ready();
    // The cpu backend prints a banner on first use urging tfjs-node; mmc reports backends itself.
    if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    if (name === "wasm") {
      installWasmKernels();
      installWasmMatMul();
    }
    return undefined;
  } catch (e) {
    return e;
  }
}

export interface BackendOptions {
  /**
   * Threads for the wasm backend: 1 runs the single-threaded SIMD build, 2 to MAX_WASM_THREADS
   * the multi-threaded one. Default: the MMC_THREADS environment variable, else
   * DEFAULT_WASM_THREADS. Other backends ignore it.
   */
  readonly threads?: number;
  /** Where the one-line note goes when wasm threads do not start (default: stderr). */
  readonly note?: (line: string) => void;
  /** Backends `auto` does not try (the run knows webgpu would not suit it: nothing is probed). */
  readonly skip?: readonly BackendName[];
}

/**
 * Makes `choice` the active backend and returns the name in use. `auto` tries tensorflow, webgpu,
 * wasm and cpu in that order (less `options.skip`); a named backend that does not load throws a BackendError, and so
 * does a bad thread count.
 */
export async function selectBackend(
  choice: BackendChoice = "auto",
  options: BackendOptions = {},
): Promise<BackendName> {
  wasmThreadsWanted(options.threads); // a bad count is an error whichever backend loads
  if (choice === "auto") {
    for (const name of BACKEND_ORDER) {
      if (options.skip?.includes(name)) continue;
      if ((await tryBackend(name, true, options)) === undefined) return name;
    }
    throw new BackendError("cpu", `no TensorFlow.js backend loaded: ${INSTALL_HINT.cpu}`);
  }
  if (!BACKEND_ORDER.includes(choice)) {
    throw new BackendError(
      "cpu",
      `unknown backend \`${String(choice)}\`: use ${BACKEND_ORDER.join(", ")} or auto`,
    );
  }
  const error = await tryBackend(choice, false, options);
  if (error !== undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackendError(
      choice,
      `backend \`${choice}\` did not load (${reason.split("\n")[0]}): ${INSTALL_HINT[choice]}`,
    );
  }
  return choice;
}

/** The backend now in use, as one of our names (what checkpoints and logs record). */
export function currentBackend(): string {
  return tf.getBackend();
}
