// The identifiers generated code declares. A train entry imports from models.ts and data.ts
// together, so every model and data constant (with its `Params`, `Embed`, `Forward`, `Loss`,
// `Code` and `Heldout` companions) is unique across all three and clear of the names the
// generated files import or declare.
import type { CheckedData, CheckedModel, CheckedProgram, CheckedTrain } from "../check/ir.js";
import { tsIdentifier } from "./escape.js";
import { pascal } from "./literals.js";

/** Names the generated files import or declare themselves. */
const FIXED = [
  ...["tf", "crossEntropy", "decoderForward", "embedTokens", "emptyMoeStats", "moeAuxLoss"],
  ...["placeImageTokens", "shiftTargets", "ForwardParts", "LossParts", "ModelBatch", "ModelCode"],
  ...["ModelInput", "MultimodalModel", "DataSpec", "RunConfig"],
  ...["fileURLToPath", "join", "pathToFileURL", "runMain", "SPEC_DIR", "config"],
];

export const MODEL_COMPANIONS = ["", "Params", "Embed", "Forward", "Loss", "Code"] as const;
export const DATA_COMPANIONS = ["", "Heldout"] as const;

export interface NamedModel {
  readonly constName: string;
  readonly model: CheckedModel;
}

export interface NamePlan {
  /** Every model to emit, in order, with its constant. */
  readonly models: readonly NamedModel[];
  /** The model constant each train uses. */
  readonly forTrain: ReadonlyMap<CheckedTrain, string>;
  /** The data mixtures to emit, in order. */
  readonly data: readonly CheckedData[];
  /** The constant of each data mixture, by its name. */
  readonly dataConst: ReadonlyMap<string, string>;
}

/** Claims a base name whose companions are all free: `Tiny`, else `Tiny_2`, `Tiny_3`... */
function claim(taken: Set<string>, wanted: string, companions: readonly string[]): string {
  const base = tsIdentifier(wanted);
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    if (companions.every((c) => !taken.has(name + c))) {
      for (const c of companions) taken.add(name + c);
      return name;
    }
  }
}

/** Two models are the same when their name, image and parts are (compared as one map key). */
function modelKey(m: CheckedModel): string {
  return JSON.stringify([m.name, m.image, m.parts]);
}

/**
 * Every model and mixture to emit and their constants. A train whose `model:` has overrides
 * (or a sweep point) gets a model of its own, named after the train; one map finds a model
 * already planned, so this is linear in the number of models and trains.
 */
export function planNames(p: CheckedProgram): NamePlan {
  const taken = new Set<string>(FIXED);
  const models: NamedModel[] = [];
  const byKey = new Map<string, string>();
  const add = (model: CheckedModel, wanted: string): string => {
    const constName = claim(taken, wanted, MODEL_COMPANIONS);
    models.push({ constName, model });
    return constName;
  };
  for (const m of p.models) {
    const constName = add(m, m.name);
    const key = modelKey(m);
    if (!byKey.has(key)) byKey.set(key, constName);
  }
  const forTrain = new Map<CheckedTrain, string>();
  for (const t of p.trains) {
    const key = modelKey(t.model);
    let constName = byKey.get(key);
    if (constName === undefined) {
      constName = add(t.model, `${pascal(t.name)}Model`);
      byKey.set(key, constName);
    }
    forTrain.set(t, constName);
  }
  const byName = new Map<string, CheckedData>();
  for (const d of p.data) byName.set(d.name, d);
  for (const t of p.trains) if (!byName.has(t.data.name)) byName.set(t.data.name, t.data);
  const dataConst = new Map<string, string>();
  for (const name of byName.keys()) dataConst.set(name, claim(taken, name, DATA_COMPANIONS));
  return { models, forTrain, data: [...byName.values()], dataConst };
}
