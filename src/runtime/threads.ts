// How many threads the wasm backend computes with. Kept apart from TensorFlow.js: the CLI reads
// these for its help text without loading it. wasm-threads.ts starts the threaded build.
import { availableParallelism } from "node:os";

/**
 * The emscripten glue creates 8 pthread workers up front; XNNPACK's pool takes at most that
 * (declared with the run flags, src/spec/run-flags.ts, whose `--threads` it bounds).
 */
export { MAX_WASM_THREADS } from "../spec/run-flags.js";

/**
 * Threads the wasm backend uses when neither `--threads` nor MMC_THREADS says: 2, the fastest
 * for examples/tiny.mm on a 2-core machine (bench/runtime-step.mjs --threads N measures more),
 * or 1 on a single-core machine, where a second thread only competes with the first.
 */
export const DEFAULT_WASM_THREADS = Math.min(2, availableParallelism());
