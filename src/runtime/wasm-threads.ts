// The multi-threaded SIMD build of the wasm backend, started from Node.
//
// @tensorflow/tfjs-backend-wasm ships a threaded build (XNNPACK with a pthread pool) but never uses
// it in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag is false there, and its loader hands the
// pthread workers `blob:` URLs, which Node's worker_threads refuses. So this module loads that
// build itself and wraps it in the package's own BackendWasm class, which every wasm kernel
// (stock and ours) runs on unchanged:
// - the emscripten module is the package's wasm-out/tfjs-backend-wasm-threaded-simd.js (with its
//   .wasm beside it); the workers load the same file by path (`mainScriptUrlOrBlob`);
// - the worker script is the package's own (wasm-out/...worker.js exports it as a string), run as
//   a `data:` URL module that first defines the `require` and `__filename` it expects;
// - tfjs caps XNNPACK's pool at half the logical cores (it assumes two hyperthreads per core), so
//   the module's `emscripten_num_logical_cores` import answers twice the count asked for, and the
//   pool gets exactly that count;
// - the pool's running workers are unref'd, so a finished program exits without disposing the
//   backend (Node ends the workers with the process), and the idle ones are ended.
// Nothing in node_modules is edited. One global changes while the module starts: the emscripten
// glue sets `globalThis.Worker` to worker_threads.Worker to create its 8 workers; startThreadedWasm
// puts the previous value back once they exist (the glue only makes more past 8 threads, which
// MAX_WASM_THREADS rules out). The glue also adds process handlers for uncaught exceptions and
// unhandled rejections, as the single-threaded build already does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { BackendWasm, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { MAX_WASM_THREADS } from "./threads.js";

/** How long the module and its workers may take to start before we give up on threads. */
const START_TIMEOUT_MS = 60_000;

const GLUE = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";
const WORKER = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  onerror: ((e: unknown) => void) | undefined;
}

/** The parts of the emscripten module (and its config object, which becomes it) used here. */
interface ThreadedModule {
  cwrap(name: string, returns: string | null, args: string[]): (...args: number[]) => number;
  tfjs?: Record<string, unknown>;
  PThread?: {
    unusedWorkers: NodeWorker[];
    runningWorkers: NodeWorker[];
    terminateAllThreads(): void;
  };
}

type Imports = { env: Record<string, unknown> };

interface FactoryConfig {
  mainScriptUrlOrBlob: string;
  locateFile(path: string, prefix: string): string | URL;
  instantiateWasm(imports: Imports, receive: (instance: unknown, module: unknown) => void): object;
  onAbort(what: unknown): void;
}

type Factory = (config: FactoryConfig) => Promise<ThreadedModule>;

// The project's lib (ES2022, no DOM) has no WebAssembly values; Node has them.
const { WebAssembly } = globalThis as unknown as {
  WebAssembly: {
    instantiate(
      bytes: Uint8Array,
      imports: Imports,
    ): Promise<{ instance: unknown; module: unknown }>;
  };
};

/** The worker script as a module: the package's worker source after the CommonJS names it uses. */
function workerUrl(gluePath: string, source: string): URL {
  // The source comes from a template literal whose "\n" escapes became newlines inside string
  // literals; tfjs's own loader puts them back the same way before making its blob.
  const body = source.replace(/\n/g, "\\n");
  const prelude =
    `import { createRequire } from "node:module";` +
    `const require = createRequire(${JSON.stringify(pathToFileURL(gluePath).href)});` +
    `const __filename = ${JSON.stringify(gluePath)};\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(prelude + body)}`);
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "object" && e !== null && "message" in e) return String(e.message);
  return String(e);
}

/**
 * Starts the threaded SIMD build with an XNNPACK pool of `threads` threads (2 to
 * MAX_WASM_THREADS) and returns a wasm backend on it, not yet registered with tfjs. Throws, with
 * the reason, where threads cannot start (no SharedArrayBuffer, a worker that fails, ...).
 */
export async function startThreadedWasm(threads: number): Promise<BackendWasm> {
  if (!Number.isInteger(threads) || threads < 2 || threads > MAX_WASM_THREADS)
    throw new Error(`threads must be a whole number from 2 to ${MAX_WASM_THREADS}, not ${threads}`);
  if (typeof SharedArrayBuffer !== "function")
    throw new Error("this JavaScript engine has no SharedArrayBuffer");
  const require = createRequire(import.meta.url);
  const gluePath = require.resolve(GLUE);
  const wasmBytes = readFileSync(gluePath.replace(/\.js$/, ".wasm"));
  const { wasmWorkerContents } = require(WORKER) as { wasmWorkerContents: string };
  const worker = workerUrl(gluePath, wasmWorkerContents);
  const factory = require(gluePath) as Factory;

  let started = false;
  let fail: (e: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const config: FactoryConfig & Partial<ThreadedModule> = {
    mainScriptUrlOrBlob: gluePath,
    // Worker takes a data: URL only as a URL object; the glue passes this value straight to it.
    locateFile: (path, prefix) => (path.endsWith(".worker.js") ? worker : prefix + path),
    instantiateWasm(imports, receive) {
      imports.env["emscripten_num_logical_cores"] = () => 2 * threads;
      WebAssembly.instantiate(wasmBytes, imports).then(({ instance, module }) => {
        receive(instance, module);
        // receive() gave each worker an error handler that throws (a crash in Node): while the
        // module starts, a failing worker makes the start fail instead.
        for (const w of config.PThread?.unusedWorkers ?? []) {
          const own = w.onerror;
          w.onerror = (e) => (started ? own?.(e) : fail(e));
        }
      }, fail);
      return {};
    },
    onAbort: (what) => fail(new Error(`the threaded wasm module aborted: ${String(what)}`)),
  };
  const globals = globalThis as { Worker?: unknown };
  const hadWorker = Object.prototype.hasOwnProperty.call(globals, "Worker");
  const previousWorker = globals.Worker;
  let ready: Promise<ThreadedModule>;
  try {
    ready = factory(config);
  } finally {
    // The glue set globalThis.Worker and made its workers synchronously: put the global back.
    if (hadWorker) globals.Worker = previousWorker;
    else delete globals.Worker;
  }
  ready.catch(() => {}); // after a timeout or a worker error, a late rejection is not news
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the pthread workers did not start in ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
  });
  try {
    const module = await Promise.race([ready, failed, timeout]);
    module.tfjs = {
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, []),
    };
    // BackendWasm's constructor creates XNNPACK's pool with the count set here; -1 afterwards is
    // the package's "no count set" again, for a later single-threaded backend.
    setThreadsCount(threads);
    let backend: BackendWasm;
    try {
      backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    } finally {
      setThreadsCount(-1);
    }
    const got = (module.tfjs["getThreadsCount"] as () => number)();
    if (got !== threads) {
      backend.dispose();
      throw new Error(`XNNPACK started ${got} threads instead of ${threads}`);
    }
    for (const w of module.PThread?.runningWorkers ?? []) w.unref();
    // The pool runs on threads - 1 of the glue's 8 workers (the calling thread is the other one)
    // and never asks for more: the idle rest would only hold memory, so they end here.
    for (const w of module.PThread?.unusedWorkers.splice(0) ?? []) void w.terminate();
    started = true;
    return backend;
  } catch (e) {
    config.PThread?.terminateAllThreads();
    throw new Error(message(e).split("\n")[0] ?? "unknown error");
  } finally {
    clearTimeout(timer);
  }
}
