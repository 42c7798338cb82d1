// train.py of the PyTorch package: the static torchrun entry (py/train.py) under a generated
// header, then the spec's trains (model, data, optimizer, schedule, checkpoints) as Python data.
// Pure: the caller reads py/train.py; every string goes through escape-python.ts.
import { posix } from "node:path";
import type { CheckedData, CheckedSource, CheckedTrain } from "../../check/ir.js";
import type { PartSummary } from "../../components/model.js";
import { pyComment } from "../escape-python.js";
import type { EmitOptions, GeneratedFile } from "../emit-shared.js";
import { fromSpec } from "../emit-shared.js";
import { count } from "../literals.js";
import { header, modelEntry, type PythonSources } from "./emit.js";
import {
  assignment,
  code,
  dict,
  list,
  pyNumber,
  str,
  type PyEntry,
  type PyNode,
} from "./py-literal.js";

const num = (n: number): PyNode => code(pyNumber(n));

function sourceNode(o: EmitOptions, s: CheckedSource): PyNode {
  return dict([
    { key: "name", value: str(s.name) },
    { key: "kind", value: str(s.kind) },
    { key: "format", value: str(s.format) },
    { key: "path", value: str(fromSpec(o, s.path)) },
    ...(s.field !== undefined ? [{ key: "field", value: str(s.field) }] : []),
    { key: "weight", value: num(s.weight) },
  ]);
}

/** The runtime's DataSpec (data.ts's), paths relative to the spec's folder (train.py adds it). */
function dataNode(o: EmitOptions, d: CheckedData): PyNode {
  const tokenizer =
    d.tokenizer.kind === "bytes"
      ? dict([{ key: "kind", value: str("bytes") }])
      : dict([
          { key: "kind", value: str("bpe") },
          { key: "path", value: str(fromSpec(o, d.tokenizer.path)) },
        ]);
  return dict([
    { key: "name", value: str(d.name) },
    { key: "sources", value: list(d.sources.map((s) => sourceNode(o, s))) },
    { key: "weighting", value: str(d.weighting) },
    { key: "imagesPerSequence", value: num(d.imagesPerSequence) },
    { key: "tokenizer", value: tokenizer },
    ...(d.resize ? [{ key: "resize", value: str(d.resize) }] : []),
    ...(d.fit ? [{ key: "fit", value: str(d.fit) }] : []),
    // held-out captions for `eval` (heldout.ts): never trained on
    ...(d.heldout ? [{ key: "heldout", value: sourceNode(o, d.heldout) }] : []),
    ...(d.roots
      ? [
          {
            key: "roots",
            value: list(d.roots.map((r) => str(r.absolute ? r.path : fromSpec(o, r.path)))),
          },
        ]
      : []),
  ]);
}

/**
 * The manifest's tensors without weight decay (biases, norms, positions, class tokens), with
 * layer numbers written `{i}`: a short list that train.py matches each tensor's mmc name against.
 * A part's manifest names are already under the part (`llm.final_norm.weight`).
 */
export function noDecayPatterns(t: CheckedTrain): string[] {
  const parts: (PartSummary | undefined)[] = [
    t.model.summary.parts.vision,
    t.model.summary.parts.connector,
    t.model.summary.parts.llm,
  ];
  const out = new Set<string>();
  for (const part of parts)
    for (const w of part?.manifest ?? [])
      if (!w.decay) out.add(w.name.replace(/\.\d+(?=\.)/g, ".{i}")); // `llm.layers.0.…`: named under its part
  return [...out].sort();
}

function trainEntry(t: CheckedTrain, o: EmitOptions): PyEntry {
  const opt = t.optimizer;
  const model = modelEntry(t.model, o);
  const checkpoint = t.checkpoint
    ? dict([
        { key: "every", value: num(t.checkpoint.every) },
        {
          key: "dir",
          value: str(fromSpec(o, posix.join(posix.dirname(o.sourcePath), t.checkpoint.dir))),
        },
        { key: "keep", value: num(t.checkpoint.keep) },
      ])
    : code("None");
  return {
    key: t.name,
    comments: [
      `train ${t.name}: model ${t.model.name} on data ${t.data.name}, ${t.steps} steps of ${t.batch} x ${t.sequence} tokens`,
    ],
    value: dict([
      { key: "source", value: str(o.locate(t.span)) },
      { key: "model", value: model.value, comments: model.comments ?? [] },
      { key: "params", value: num(t.model.summary.params) },
      // per encoder pass: an untiled image's tokens, or one crop's (or the overview's) of a tiled one
      { key: "image_tokens", value: num(t.model.summary.tokensPerCrop) },
      { key: "no_decay", value: list(noDecayPatterns(t).map(str)) },
      // `freeze`: mmc tensor paths; train.py sets requires_grad False and gives them no AdamW state
      ...(t.freeze ? [{ key: "freeze", value: list(t.freeze.paths.map(str)) }] : []),
      // `init: <train>`: the earlier train's checkpoint folder and the spec, from the spec's folder
      ...(t.init
        ? [
            {
              key: "init",
              value: dict([
                { key: "train", value: str(t.init.train) },
                {
                  key: "dir",
                  value: str(fromSpec(o, posix.join(posix.dirname(o.sourcePath), t.init.dir))),
                },
                { key: "spec", value: str(posix.basename(o.sourcePath)) },
              ]),
            },
          ]
        : []),
      { key: "data", value: dataNode(o, t.data) },
      { key: "steps", value: num(t.steps) },
      { key: "batch", value: num(t.batch) },
      { key: "sequence", value: num(t.sequence) },
      { key: "seed", value: num(t.seed) },
      {
        key: "optimizer",
        value: dict([
          { key: "lr", value: num(opt.lr) },
          { key: "betas", value: list(opt.betas.map(num)) },
          { key: "weight_decay", value: num(opt.weightDecay) },
          { key: "eps", value: num(opt.eps) },
          { key: "clip", value: num(opt.clip) },
        ]),
      },
      {
        key: "schedule",
        value: dict([
          { key: "kind", value: str(t.schedule.kind) },
          { key: "warmup", value: num(t.schedule.warmup) },
          { key: "final", value: num(t.schedule.final) },
        ]),
      },
      { key: "checkpoint", value: checkpoint },
      // the held-out loss every `every` steps and at the end (the benchmark tasks are refused)
      {
        key: "eval",
        value: dict([
          { key: "every", value: num(t.eval.every) },
          { key: "batches", value: num(t.eval.batches) },
        ]),
      },
      { key: "log_every", value: num(t.logEvery) },
    ]),
  };
}

/** train.py for the trains of a checked program; `sources` must hold py/train.py. */
export function emitTrainPy(
  trains: readonly CheckedTrain[],
  o: EmitOptions,
  sources: PythonSources,
): GeneratedFile {
  const text = sources.get("train.py");
  if (text === undefined) throw new Error("internal: the Python source py/train.py is missing");
  const specDir =
    posix.relative(posix.normalize(o.outDir), posix.dirname(posix.normalize(o.sourcePath))) || ".";
  const rule = `# ${"-".repeat(4)} the spec's trains ${"-".repeat(73)}`;
  const spec = [
    rule,
    pyComment(`The trains of ${o.sourcePath}, as the TypeScript target's RunConfig has them.`),
    "",
    assignment("SPEC_DIR", str(specDir), [
      "The spec's folder, relative to this file's: data paths and run folders are relative to it.",
    ]),
    "",
    assignment(
      "TRAINS",
      dict(trains.map((t) => trainEntry(t, o))),
      trains.map((t) => `${t.name}: ${count(t.model.summary.params)} parameters`),
    ),
  ].join("\n");
  const body = text.replace(/\r\n/g, "\n").replace(/\n+$/, "");
  return {
    name: "train.py",
    text: `${header(o, "the torchrun entry")}\n${body}\n\n\n${spec}\n\n\nif __name__ == "__main__":\n    sys.exit(main())\n`,
  };
}
