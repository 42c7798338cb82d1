// train-<name>.ts: a train's `RunConfig` (model, data, optimizer, schedule, checkpoints) and a
// `runMain` call when the file is run as a program.
import { posix } from "node:path";
import type { CheckedTrain } from "../check/ir.js";
import { flagSynopsis, RUN_FLAGS } from "../spec/run-flags.js";
import { tsLineComment, tsString } from "./escape.js";
import { count, numberLiteral } from "./literals.js";
import { trainFile } from "./names.js";
import type { NamePlan } from "./emit-names.js";
import {
  exportConst,
  fromSpec,
  importDecl,
  runtimeModule,
  type EmitOptions,
  type FilePlan,
} from "./emit-shared.js";

export function emitTrain(t: CheckedTrain, names: NamePlan, o: EmitOptions): FilePlan {
  const model = names.forTrain.get(t)!;
  const data = names.dataConst.get(t.data.name)!;
  const opt = t.optimizer;
  const sched = t.schedule;
  const m = t.memory;
  // `checkpoint.dir` is relative to the entry spec's folder; without one, the run folder is
  // `runs/<name>` there (the same default as a `checkpoint` block without `dir`).
  const checkpoint = t.checkpoint
    ? `checkpoint: { every: ${t.checkpoint.every}, dir: join(SPEC_DIR, ${tsString(fromSpec(o, posix.join(posix.dirname(o.sourcePath), t.checkpoint.dir)))}), keep: ${t.checkpoint.keep} },`
    : `runDir: join(SPEC_DIR, ${tsString(`runs/${t.name}`)}),`;
  const config = `{
    name: ${tsString(t.name)},
    source: ${tsString(o.locate(t.span))},
    model: ${model},
    code: ${model}Code,
    params: ${model}Params,${initConfig(t, o)}
    imageTokens: ${t.model.summary.imageTokens},
    data: ${data},
    ${t.data.heldout ? `heldout: ${data}Heldout,` : ""}
    ${t.data.synthesize ? `synthesize: join(SPEC_DIR, ${tsString(fromSpec(o, t.data.synthesize))}),` : ""}
    steps: ${numberLiteral(t.steps)},
    batch: ${t.batch},
    sequence: ${t.sequence},
    seed: ${t.seed},
    optimizer: { lr: ${opt.lr}, betas: [${opt.betas[0]}, ${opt.betas[1]}], weightDecay: ${opt.weightDecay}, eps: ${opt.eps}, clip: ${opt.clip} },
    schedule: { kind: ${tsString(sched.kind)}, warmup: ${sched.warmup}, final: ${sched.final} },
    ${checkpoint}
    eval: { every: ${t.eval.every}, batches: ${t.eval.batches}${evalTasks(t, o)} },
    logEvery: ${t.logEvery},
    ${stages(t, o)}
  }`;
  const entry = trainFile(t).replace(/\.ts$/, ".js");
  return {
    name: trainFile(t),
    what: `the entry point of \`train ${t.name}\``,
    statements: [
      importDecl("node:path", ["join"]),
      importDecl("node:url", ["pathToFileURL"]),
      importDecl(runtimeModule(o), ["runMain"]),
      importDecl(runtimeModule(o), ["RunConfig"], true),
      importDecl("./models.js", [model, `${model}Code`, `${model}Params`]),
      importDecl("./data.js", ["SPEC_DIR", data, ...(t.data.heldout ? [`${data}Heldout`] : [])]),
      exportConst(
        "config",
        "RunConfig",
        config,
        [
          `\`train ${t.name}\` (${o.locate(t.span)}): \`model ${t.model.name}\` on \`data ${t.data.name}\`,`,
          `${t.steps} steps of ${t.batch} x ${t.sequence} tokens. Training memory (${m.precision}): weights ${count(m.weights)} B,`,
          `gradients ${count(m.gradients)} B, AdamW ${count(m.optimizer)} B, activations ${count(m.activations)} B.`,
        ].join("\n"),
      ),
      tsLineComment(
        `Run as a program: \`node ${entry} ${RUN_FLAGS.filter((f) => f.scope === "entry")
          .map((f) => `[${flagSynopsis(f)}]`)
          .join(" ")}\` (src/spec/run-flags.ts).`,
      ),
      "if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {",
      "  process.exitCode = await runMain(config, process.argv.slice(2));",
      "}",
    ],
  };
}

/** `freeze` and `init` (the earlier train's folder and the spec, from the spec's folder), or nothing. */
function stages(t: CheckedTrain, o: EmitOptions): string {
  const out: string[] = [];
  if (t.freeze) out.push(`freeze: [${t.freeze.paths.map((p) => tsString(p)).join(", ")}],`);
  if (t.init) {
    const dir = fromSpec(o, posix.join(posix.dirname(o.sourcePath), t.init.dir));
    out.push(
      `init: { train: ${tsString(t.init.train)}, dir: join(SPEC_DIR, ${tsString(dir)}), spec: join(SPEC_DIR, ${tsString(posix.basename(o.sourcePath))}) },`,
    );
  }
  return out.join("\n");
}

/** `, tasks: [...]` for the train's benchmark tasks (paths from the spec's folder), or nothing. */
function evalTasks(t: CheckedTrain, o: EmitOptions): string {
  const tasks = t.eval.tasks ?? [];
  if (tasks.length === 0) return "";
  const path = (p: string) => `join(SPEC_DIR, ${tsString(fromSpec(o, p))})`;
  const items = tasks.map(
    (k) =>
      `{ kind: ${tsString(k.kind)}, name: ${tsString(k.name)}, annotations: ${path(k.annotations)}, ` +
      (k.questions !== undefined ? `questions: ${path(k.questions)}, ` : "") +
      `images: ${path(k.images)}, shots: [${k.shots.join(", ")}], prompt: ${tsString(k.prompt)}, ` +
      `samples: ${k.samples}, seed: ${k.seed}, maxTokens: ${k.maxTokens} }`,
  );
  return `, tasks: [${items.join(", ")}]`;
}

/** `pretrained: [...]`: the model's `init` weights files, paths from the spec's folder; or nothing. */
function initConfig(t: CheckedTrain, o: EmitOptions): string {
  const inits = t.model.init ?? [];
  if (inits.length === 0) return "";
  const path = (p: string) => `join(SPEC_DIR, ${tsString(fromSpec(o, p))})`;
  const items = inits.map(
    ({ scope, source: s }) =>
      `{ scope: ${tsString(scope)}, path: ${path(s.path)}, root: ${path(s.root === "" ? "." : s.root)}, layout: ${tsString(s.layout)}` +
      (s.map !== undefined ? `, map: ${path(s.map)}` : "") +
      " }",
  );
  return ` pretrained: [${items.join(", ")}],`;
}
