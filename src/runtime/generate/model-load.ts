// The trained model a generation or evaluation runs: built from the train's config (checked
// against the compiler's count) with the weights of a checkpoint, a file or the newest in a
// folder that verifies. Nothing is moved or written: a damaged newer file is passed over with a
// warning (a resumed run is what moves it aside).
import { stat } from "node:fs/promises";
import { CheckpointError, applyCheckpoint, readCheckpoint } from "../checkpoint/checkpoint.js";
import { listCheckpoints } from "../checkpoint/store.js";
import { MultimodalModel } from "../model.js";
import { RunError, showPath } from "../run/errors.js";
import type { RunConfig } from "../run/run-config.js";

export interface LoadedModel {
  readonly model: MultimodalModel;
  readonly path: string;
  readonly step: number;
}

/** The checkpoint file `where` names: itself, or the newest in the folder that verifies. */
async function checkpointFile(where: string, warn: (line: string) => void) {
  const st = await stat(where).catch(() => undefined);
  if (st === undefined)
    throw new RunError(
      `checkpoint \`${showPath(where)}\` does not exist; give the train's checkpoint folder (its \`checkpoint.dir\`) or a step-N.safetensors file`,
    );
  if (st.isFile()) return readCheckpoint(where);
  if (!st.isDirectory())
    throw new RunError(`checkpoint \`${showPath(where)}\` is not a file or a folder`);
  const stored = await listCheckpoints(where);
  if (stored.length === 0)
    throw new RunError(
      `\`${showPath(where)}\` holds no checkpoint (step-N.safetensors); train first with \`mmc run\``,
    );
  let first: CheckpointError | undefined;
  for (const c of stored) {
    try {
      const loaded = await readCheckpoint(c.path);
      if (first !== undefined)
        warn(
          `\`${showPath(first.path)}\` is damaged (${first.reason}); using step ${loaded.meta.step}`,
        );
      return loaded;
    } catch (e) {
      if (!(e instanceof CheckpointError) || e.problem !== "damaged") throw e;
      first ??= e;
    }
  }
  throw first as CheckpointError;
}

export async function loadTrainedModel(
  config: RunConfig,
  where: string,
  warn: (line: string) => void,
): Promise<LoadedModel> {
  const loaded = await checkpointFile(where, warn);
  const model = MultimodalModel.fromInput(config.model, config.seed);
  try {
    if (model.params.count() !== config.params)
      throw new Error(
        `the built model has ${model.params.count()} parameters but the compiler counted ${config.params}; mmc has a bug`,
      );
    applyCheckpoint(loaded, model.params);
  } catch (e) {
    model.dispose();
    if (e instanceof CheckpointError && e.problem === "mismatch")
      throw new RunError(
        `\`${showPath(e.path)}\` does not fit \`${config.name}\`'s model: ${e.reason}; use the checkpoint of this train, or the spec it was trained with`,
      );
    throw e;
  }
  return { model, path: loaded.path, step: loaded.meta.step };
}
