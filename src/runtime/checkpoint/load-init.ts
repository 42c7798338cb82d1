// Loading pretrained weights (`init`) into a freshly initialised model, before step 0: through
// the same name table the checker used (components/init-names.ts), shapes checked again (the file
// may have changed since `mmc check`), BF16/F16 widened to fp32 exactly. Never on resume.
import * as tf from "@tensorflow/tfjs-core";
import {
  coveredParts,
  initTable,
  toMmcLayout,
  type InitLayout,
  type InitPart,
  type InitPartName,
  type InitScope,
} from "../../components/init-names.js";
import { composeModel, type ModelInput } from "../../components/model.js";
import { escapeControls } from "../escape.js";
import type { Params } from "../params.js";
import {
  readNameMap,
  readTensorValues,
  readWeightsHeaders,
  WeightsFileError,
} from "./weights-files.js";

/** One `init` as generated code gives it: paths already joined with the spec's folder. */
export interface InitConfig {
  readonly scope: InitScope;
  readonly path: string;
  /** The folder the weights (and map) must lie inside. */
  readonly root: string;
  readonly layout: InitLayout;
  readonly map?: string;
}

const show = (p: string) => `\`${escapeControls(p)}\``;
const shape = (s: readonly number[]) => `[${s.join(", ")}]`;

/**
 * Loads every `init` into `params`; returns one line per `init` saying what was loaded from
 * where. Throws `WeightsFileError` when a file is missing, malformed or does not fit.
 */
export function loadInitWeights(
  params: Params,
  model: ModelInput,
  inits: readonly InitConfig[],
): string[] {
  const composed = composeModel(model);
  if (!composed.ok) throw new Error("internal: the model of an `init` does not compose");
  const present = (["vision", "connector", "llm"] as const).filter((p) => composed.parts[p]);
  const scopes = inits.map((i) => i.scope);
  const lines: string[] = [];
  for (const init of inits) {
    const parts: InitPart[] = coveredParts(init.scope, present, scopes).flatMap(
      (p: InitPartName) => {
        const s = composed.parts[p];
        return s ? [{ part: p, kind: s.kind, config: s.config, manifest: s.manifest }] : [];
      },
    );
    const set = readWeightsHeaders(init.path, init.root);
    const map = init.map !== undefined ? readNameMap(init.map, init.root) : undefined;
    const table = initTable(init.scope, parts, init.layout, map);
    if (table.unmapped.length > 0 || table.unknownKeys.length > 0)
      throw new WeightsFileError(
        "map",
        `the name map ${show(init.map ?? "")} does not fit the model any more: run \`mmc check\``,
      );
    const widened = new Map<string, number>();
    for (const e of table.expected) {
      const t = set.tensors.get(e.file);
      if (!t)
        throw new WeightsFileError(
          "missing",
          `${show(init.path)} has no tensor \`${escapeControls(e.file)}\` (for \`${e.mmc}\`): the file changed since \`mmc check\`?`,
        );
      if (t.shape.length !== e.fileShape.length || t.shape.some((d, i) => d !== e.fileShape[i]))
        throw new WeightsFileError(
          "header",
          `\`${escapeControls(e.file)}\` in ${show(t.file)} is ${shape(t.shape)}, not ${shape(e.fileShape)}`,
        );
      const values = toMmcLayout(readTensorValues(t), t.shape, e.layout);
      if (t.dtype !== "F32") widened.set(t.dtype, (widened.get(t.dtype) ?? 0) + 1);
      const v = params.get(e.mmc);
      const next = tf.tensor(values, [...e.shape], "float32");
      v.assign(next);
      next.dispose();
    }
    const what = init.scope === "model" ? parts.map((p) => p.part).join(", ") : init.scope;
    const conv = [...widened].map(([d, n]) => `${n} ${d} widened to fp32`).join(", ");
    lines.push(
      `init: ${what} from ${show(init.path)} (${init.layout} layout${init.map !== undefined ? `, names from ${show(init.map)}` : ""}, ${table.expected.length} tensors${conv ? `; ${conv}` : ""})`,
    );
  }
  return lines;
}
