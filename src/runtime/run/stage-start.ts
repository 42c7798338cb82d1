// A train that starts from another train's checkpoint (`init: pretrain`): the newest verified
// checkpoint of that train is found before anything loads, and its weights (not its optimizer
// state, not its step) are put into the fresh model, MoE experts upcycled from dense MLPs.
import * as tf from "@tensorflow/tfjs-core";
import { relative } from "node:path";
import {
  describeStageProblem,
  isFrozen,
  planStage,
  type StagePlan,
} from "../../components/stages.js";
import { CheckpointError, type LoadedCheckpoint } from "../checkpoint/checkpoint.js";
import { describeFallback, newestVerified } from "../checkpoint/resume.js";
import type { StTensor } from "../checkpoint/safetensors.js";
import type { Params } from "../params.js";
import { escapeControls, RunError, showPath } from "./errors.js";
import { checkpointRunError } from "./resume.js";
import type { RunConfig } from "./run-config.js";

export interface StageStart {
  readonly train: string;
  readonly checkpoint: LoadedCheckpoint;
  /** A note for each damaged newer checkpoint passed over. */
  readonly warnings: readonly string[];
}

/** `mmc run FILE --train NAME`, with the file relative to the working folder and quoted when needed. */
function runCommand(spec: string, train: string): string {
  const rel = relative(process.cwd(), spec) || spec;
  const file = /^[A-Za-z0-9_./@%+=:,-]+$/.test(rel) ? rel : `'${rel.replace(/'/g, `'\\''`)}'`;
  return `mmc run ${escapeControls(file)} --train ${train}`;
}

/**
 * The checkpoint `config.init` names: the newest that verifies in the earlier train's folder.
 * Throws a RunError saying which command to run first when that train has not written one.
 */
export async function findStageStart(config: RunConfig): Promise<StageStart | undefined> {
  const init = config.init;
  if (init === undefined) return undefined;
  const warnings: string[] = [];
  let loaded: LoadedCheckpoint | undefined;
  try {
    loaded = await newestVerified(init.dir, {
      onFallback: (p) => warnings.push(describeFallback(p, showPath)),
    });
  } catch (e) {
    if (e instanceof CheckpointError) throw checkpointRunError(e);
    throw e;
  }
  if (loaded === undefined)
    throw new RunError(
      `\`train ${config.name}\` starts from the weights of \`train ${init.train}\`, which has no checkpoint in \`${showPath(init.dir)}\` yet: ` +
        `run \`${runCommand(init.spec, init.train)}\` first`,
    );
  const by = (loaded.meta.extra ?? {}) as { train?: unknown };
  if (typeof by.train === "string" && by.train !== init.train)
    throw new RunError(
      `\`${showPath(loaded.path)}\` was saved by \`train ${escapeControls(by.train)}\`, not \`train ${init.train}\` that \`train ${config.name}\` starts from: ` +
        `run \`${runCommand(init.spec, init.train)}\` into its own folder first`,
    );
  return { train: init.train, checkpoint: loaded, warnings };
}

/**
 * Puts the checkpoint's weights into `params` as `planStage` says (copied, or an MoE expert from
 * the dense MLP at its layer; routers keep their fresh values). Checks everything before assigning
 * anything: a checkpoint that no longer fits is a RunError naming the first mismatches.
 */
export function applyStageStart(start: StageStart, params: Params): StagePlan {
  const from: { name: string; shape: readonly number[] }[] = [];
  for (const [key, t] of start.checkpoint.tensors)
    if (key.startsWith("param.")) from.push({ name: key.slice("param.".length), shape: t.shape });
  const plan = planStage(from, params.specs);
  if (plan.problems.length > 0) {
    const listed = plan.problems
      .slice(0, 3)
      .map((p) => escapeControls(describeStageProblem(p, "the checkpoint", "this model")));
    throw new RunError(
      `\`${showPath(start.checkpoint.path)}\` of \`train ${start.train}\` does not fit this run's model: ${listed.join("; ")}` +
        `${plan.problems.length > 3 ? ` (and ${plan.problems.length - 3} more)` : ""}. ` +
        `The spec changed since \`train ${start.train}\` ran: run it again with --fresh, or change this train's model back`,
    );
  }
  for (const [name, source] of plan.sources) {
    if (source.kind === "fresh") continue;
    const t = start.checkpoint.tensors.get(`param.${source.from}`) as StTensor;
    tf.tidy(() => params.get(name).assign(tf.tensor(t.data, [...t.shape], "float32")));
  }
  return plan;
}

/** The metrics record of where a stage started, and its first lines (upcycling said there). */
export function stageRecord(
  start: StageStart,
  plan: StagePlan,
  say: (line: string) => void,
): Record<string, unknown> {
  const c = start.checkpoint;
  for (const w of start.warnings) say(`warning: ${w}`);
  say(
    `starting from the weights of \`train ${start.train}\` at step ${c.meta.step} (${showPath(c.path)}, sha256 ${c.sha256.slice(0, 16)}...); its optimizer state and step are not carried over`,
  );
  const layers = plan.upcycledLayers;
  if (layers.length > 0)
    say(
      `upcycling: the experts of the MoE layer${layers.length === 1 ? "" : "s"} ${layers.join(", ")} start as copies of \`train ${start.train}\`'s dense MLP there; the routers are initialised as usual`,
    );
  return {
    type: "init",
    train: start.train,
    checkpoint: c.path,
    sha256: c.sha256,
    // not `step`: the metrics log is trimmed by `step` on resume, and this record stays
    checkpoint_step: c.meta.step,
    ...(layers.length > 0 ? { upcycled_layers: layers } : {}),
  };
}

/** The names of the tensors `config.freeze` freezes, said in one line when there are any. */
export function frozenTensors(
  config: RunConfig,
  params: Params,
  say: (line: string) => void,
): ReadonlySet<string> {
  const paths = config.freeze ?? [];
  const names = params.specs.filter((s) => isFrozen(s.name, paths)).map((s) => s.name);
  if (names.length > 0) {
    const size = (n: string) => params.get(n).size;
    const frozen = names.reduce((a, n) => a + size(n), 0);
    say(
      `frozen: ${paths.map((p) => escapeControls(p)).join(", ")} (${frozen.toLocaleString("en-US")} of ${params.count().toLocaleString("en-US")} parameters: no gradient, no AdamW state)`,
    );
  }
  return new Set(names);
}
