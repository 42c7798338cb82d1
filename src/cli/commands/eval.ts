// `mmc eval FILE`: the train's benchmark tasks (few-shot captioning and VQA, declared in its
// `eval` setting) scored on a checkpoint; the runtime does the work (runtime/generate/eval-*.ts).
import { intFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { batchSizeFlag, samplingFlags } from "./generate.js";
import { loadTrainEntry } from "./train-entry.js";

export const evalCommand: Command = {
  name: "eval",
  summary: "score a checkpoint on the train's few-shot benchmark tasks",
  usage: `usage: mmc eval FILE [--train NAME | --model NAME] --checkpoint PATH [--json]
                [--out DIR] [--samples N] [--shuffle-images | --no-images] [--batch-size N]
                [--backend auto|tensorflow|webgpu|wasm|cpu] [--threads N]

Runs the benchmark tasks of the train's \`eval\` setting (\`captioning\` scored with CIDEr-D,
\`vqa\` with VQAv2 accuracy; docs/eval.md) on the checkpoint at PATH (a step file, or the
checkpoint folder's newest that verifies) at each of the task's shot counts, answering greedily.
Prints a table (task x shots, scores x100) and writes every sample's prompt, prediction,
references and score to DIR/<task>-<k>shot.jsonl and the scores as \`eval_task\` records to
DIR/eval.jsonl (default DIR: eval-step-N beside the checkpoint). --json prints the aggregate as
one object. --samples overrides the tasks' sample counts; --shuffle-images shows each query
another query's image, and --no-images withholds every image (shots and query laid out as a
text-only model reads them): controls for what the model reads from the pixels. --batch-size N
answers N queries at a time in one forward pass per token (the same answers, faster).`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: [
        "train",
        "model",
        "checkpoint",
        "out",
        "samples",
        "batch-size",
        "backend",
        "threads",
        "format",
      ],
      switches: ["json", "shuffle-images", "no-images", "no-color", "trace"],
    });
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1)
      throw new UsageError("`mmc eval` needs one file, e.g. `mmc eval examples/tiny.mm`");
    const checkpoint = args.values.get("checkpoint");
    if (checkpoint === undefined)
      throw new UsageError(
        "`mmc eval` needs `--checkpoint PATH` (the train's checkpoint folder or a step file)",
      );
    const samples = intFlag(args, "samples", 1);
    const batchSize = batchSizeFlag(args);
    if (args.switches.has("shuffle-images") && args.switches.has("no-images"))
      throw new UsageError("give one control: `--shuffle-images` or `--no-images`");
    const { backend, threads } = samplingFlags(args);
    const entry = await loadTrainEntry(
      file,
      args.values.get("train"),
      args.values.get("model"),
      io,
    );
    if (typeof entry === "number") return entry;
    const out = args.values.get("out");
    return entry.runtime.evalMain(
      entry.config,
      {
        checkpoint,
        json: args.switches.has("json"),
        ...(out !== undefined ? { out } : {}),
        backend,
        ...(threads !== undefined ? { threads } : {}),
        ...(samples !== undefined ? { samples } : {}),
        ...(args.switches.has("shuffle-images") ? { shuffleImages: true } : {}),
        ...(args.switches.has("no-images") ? { noImages: true } : {}),
        ...(batchSize !== undefined ? { batchSize } : {}),
      },
      { stdout: (t) => io.stdout(t), stderr: (t) => io.stderr(t) },
    );
  },
};
