// Which backend a run trains on: the user's choice, except that `auto` keeps off webgpu for
// steps too small to gain from the GPU and for MoE models. That is decided from the config
// before any backend loads, so a run that could never take webgpu never probes the GPU.
import {
  BackendError,
  currentThreads,
  selectBackend,
  webgpuAdapterInUse,
  type BackendChoice,
  type BackendName,
} from "../backend.js";
import type { WebgpuAdapter } from "../webgpu-node.js";
import type { RunConfig } from "./run-config.js";

/**
 * Below this many training FLOPs a step, `auto` prefers wasm to webgpu. TensorFlow.js on WebGPU
 * in Node costs 0.25-0.45 ms per kernel whatever its size; measured on an H100
 * (bench/step-profile.mjs, `mmc run`): the tiny example (about 3.6 GFLOP a step) ran 0.9 s a
 * step on webgpu against 0.31 s on wasm; a width-512, 8-layer decoder (about 680 GFLOP a step)
 * 2.5-2.7 s in 4 passes (bench/runtime-step.mjs) against 19 s on 2 wasm threads.
 */
export const WEBGPU_MIN_STEP_FLOPS = 50e9;

/** Training FLOPs of one step by the usual estimate: 6 x parameters x tokens. */
function stepFlops(config: RunConfig): number {
  return 6 * config.params * config.batch * config.sequence;
}

/** Whether the model's language model has mixture-of-experts layers. */
function hasExperts(model: RunConfig["model"]): boolean {
  const llm = model.llm as { config?: Record<string, unknown> } | undefined;
  return llm?.config?.["moe"] !== undefined;
}

/**
 * Why webgpu should not train `config` under `auto` (never fatal: a backend asked for by name is
 * obeyed), or undefined when webgpu is fine. MoE layers route on the device there (layers/moe.ts,
 * checked equal to the host routing on webgpu in chromium: test/runtime/webgpu-browser.test.ts),
 * but the device routing's dispatch matrices cost O(tokens^2) and that step has not been timed
 * on a GPU, so `auto` keeps MoE models on wasm until it is.
 */
export function webgpuUnsuitable(
  config: RunConfig,
  choice: BackendChoice,
): { why: string; fatal: boolean } | undefined {
  if (hasExperts(config.model)) {
    if (choice === "auto")
      return {
        why: `\`${config.name}\` has mixture-of-experts layers, whose routing on the GPU (by dispatch matrices) is not yet timed against wasm (--backend webgpu forces it)`,
        fatal: false,
      };
    return undefined;
  }
  const flops = stepFlops(config);
  if (choice === "auto" && flops < WEBGPU_MIN_STEP_FLOPS) {
    return {
      why: `a step of \`${config.name}\` is about ${(flops / 1e9).toPrecision(2)} GFLOP, too small to gain from the GPU (webgpu pays off from about ${WEBGPU_MIN_STEP_FLOPS / 1e9} GFLOP a step; --backend webgpu forces it)`,
      fatal: false,
    };
  }
  return undefined;
}

export interface ChosenBackend {
  readonly backend: BackendName;
  readonly threads: number | undefined;
  readonly adapter: WebgpuAdapter | undefined;
}

/**
 * Loads the backend `config` trains on. Under `auto`, webgpu is left out beforehand when it
 * would not suit the run (nothing is probed); asked for by name where it cannot work, an error.
 */
export async function chooseBackend(
  config: RunConfig,
  choice: BackendChoice,
  options: { readonly threads?: number; readonly note: (line: string) => void },
): Promise<ChosenBackend> {
  const unsuitable =
    choice === "auto" || choice === "webgpu" ? webgpuUnsuitable(config, choice) : undefined;
  if (unsuitable?.fatal) throw new BackendError("webgpu", unsuitable.why);
  const backend = await selectBackend(choice, {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    note: options.note,
    ...(unsuitable !== undefined ? { skip: ["webgpu"] as const } : {}),
  });
  return { backend, threads: currentThreads(), adapter: webgpuAdapterInUse() };
}
