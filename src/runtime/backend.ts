// Backend selection: `auto` takes the fastest TensorFlow.js backend that loads (native tensorflow,
// webgpu, wasm, cpu); asking for one that does not load is an error that says what to install.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "./ops/gradients.js";
import { installWasmKernels } from "./ops/wasm-kernels.js";

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
    "install @tensorflow/tfjs-backend-webgpu@4.22.0 and run where `navigator.gpu` exists (a browser, or Node with WebGPU bindings)",
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

async function loadWebgpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu === undefined) throw new Error("navigator.gpu is not available");
  await importOptional("@tensorflow/tfjs-backend-webgpu");
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

const LOADERS: Record<BackendName, () => Promise<void>> = {
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: async () => {},
};

async function tryBackend(name: BackendName): Promise<unknown> {
  try {
    await LOADERS[name]();
    const ok = await tf.setBackend(name);
    if (!ok) return new Error(`tf.setBackend("${name}") returned false`);
    await tf.ready();
    // The cpu backend prints a banner on first use urging tfjs-node; mmc reports backends itself.
    if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    if (name === "wasm") installWasmKernels();
    return undefined;
  } catch (e) {
    return e;
  }
}

/**
 * Makes `choice` the active backend and returns the name in use. `auto` tries tensorflow, webgpu,
 * wasm and cpu in that order; a named backend that does not load throws a BackendError.
 */
export async function selectBackend(choice: BackendChoice = "auto"): Promise<BackendName> {
  if (choice === "auto") {
    for (const name of BACKEND_ORDER) {
      if ((await tryBackend(name)) === undefined) return name;
    }
    throw new BackendError("cpu", `no TensorFlow.js backend loaded: ${INSTALL_HINT.cpu}`);
  }
  if (!BACKEND_ORDER.includes(choice)) {
    throw new BackendError(
      "cpu",
      `unknown backend \`${String(choice)}\`: use ${BACKEND_ORDER.join(", ")} or auto`,
    );
  }
  const error = await tryBackend(choice);
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
