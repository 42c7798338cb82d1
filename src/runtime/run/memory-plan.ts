// How many rows of a batch the wasm backend takes in one pass. Its heap is a 32-bit WebAssembly
// memory of at most 4 GiB, and a step that needs more does not fail cleanly: the single-threaded
// build aborts and the threaded one hangs. So the driver plans the step from the checker's own
// memory formulas and, where one pass would not fit, splits the batch into micro-batches whose
// gradients add up to the same step (train/trainer.ts).
import { composeModel, type ModelInput } from "../../components/model.js";

/** The wasm backend's heap: a 32-bit WebAssembly memory. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** The part of the heap a plan may fill; the rest is headroom for fragmentation and data. */
export const WASM_HEAP_BUDGET = 3.25 * 2 ** 30;
/**
 * Heap used per byte of the checker's activation estimate. TensorFlow.js keeps every intermediate
 * of the tape, not only what the formulas count, plus gradient temporaries: measured 7.3 on the
 * tiny example's decoder (8 x 128 tokens) and 9.2 to 12.8 on a width-512, 8-layer decoder (4 down
 * to 1 rows of 256 tokens, where the heap's growth steps weigh more), tfjs-backend-wasm 4.22.
 */
export const TAPE_FACTOR = 10;
/**
 * Bytes held per parameter through a step: weights, gradients, AdamW's two moments, a temporary.
 * Nothing else stays: the initial weights and zero moments are released once they are variables
 * (params.ts, adamw.ts; before, they doubled this), and the fused update's new weights and
 * moments exist for one chunk of at most 2^23 elements at a time (96 MiB).
 */
export const BYTES_PER_PARAM = 20;

export type WasmPlan =
  | {
      readonly ok: true;
      readonly rowsPerPass: number;
      readonly passes: number;
      readonly heapBytes: number;
    }
  | { readonly ok: false; readonly message: string };

/** Rows per pass for `batch` sequences of `sequence` tokens of `model` (with `params` parameters). */
export function planWasmPasses(
  model: ModelInput,
  params: number,
  batch: number,
  sequence: number,
): WasmPlan {
  const composed = composeModel(model);
  if (!composed.ok) return { ok: true, rowsPerPass: batch, passes: 1, heapBytes: 0 };
  const perRow = composed.trainMemory({ batch: 1, sequence }).activations * TAPE_FACTOR;
  const fixed = params * BYTES_PER_PARAM;
  const maxRows = Math.floor((WASM_HEAP_BUDGET - fixed) / perRow);
  if (maxRows < 1) {
    const need = (fixed + perRow) / 2 ** 30;
    return {
      ok: false,
      message: `one sequence of ${sequence} tokens needs about ${need.toFixed(1)} GiB on the wasm backend, whose heap holds at most ${WASM_HEAP_BYTES / 2 ** 30} GiB: lower \`sequence\`, make the model smaller, or train on a backend without this limit (--backend webgpu or tensorflow)`,
    };
  }
  const passes = Math.ceil(batch / Math.min(batch, maxRows));
  const rowsPerPass = Math.ceil(batch / passes);
  return { ok: true, rowsPerPass, passes, heapBytes: fixed + rowsPerPass * perRow };
}
