// `mmc generate FILE`: what a trained model says. Compiles the train as `mmc run` does, loads a
// checkpoint's weights and continues a prompt (images at its `<image>` markers), or answers a
// JSONL file of requests; the runtime does the work (runtime/generate/).
import { resolve } from "node:path";
import { intFlag, parseArgs, UsageError, type ParsedArgs } from "../args.js";
import type { Command } from "../commands.js";
import { MAX_WASM_THREADS } from "../../runtime/threads.js";
import { loadTrainEntry } from "./train-entry.js";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

/** `--image` may be given many times: taken out before the other flags are parsed. */
export function takeRepeated(
  argv: readonly string[],
  flag: string,
): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === `--${flag}`) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`\`--${flag}\` needs a value`);
      values.push(v);
    } else if (a.startsWith(`--${flag}=`)) values.push(a.slice(flag.length + 3));
    else rest.push(a);
  }
  return { values, rest };
}

function numberFlag(
  args: ParsedArgs,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || v < min || v > max)
    throw new UsageError(`\`--${name}\` must be a number from ${min} to ${max}, not \`${raw}\``);
  return v;
}

/** Requests in one forward pass: more rows cost memory (each its own KV cache), not answers. */
export const MAX_BATCH_SIZE = 256;

/** `--batch-size N`, 1 to MAX_BATCH_SIZE; shared with `mmc eval`. */
export function batchSizeFlag(args: ParsedArgs): number | undefined {
  const n = intFlag(args, "batch-size", 1);
  if (n !== undefined && n > MAX_BATCH_SIZE)
    throw new UsageError(`\`--batch-size\` must be at most ${MAX_BATCH_SIZE}`);
  return n;
}

/** Sampling, token limit, seed, backend and threads: shared with `mmc eval`. */
export function samplingFlags(args: ParsedArgs) {
  const temperature = numberFlag(args, "temperature", 0, 100, 0);
  const topK = intFlag(args, "top-k", 0);
  const topP = args.values.has("top-p") ? numberFlag(args, "top-p", 1e-9, 1, 1) : undefined;
  const seed = intFlag(args, "seed", 0) ?? 0;
  if (seed >= 2 ** 32) throw new UsageError("`--seed` must be below 2^32");
  const backend = args.values.get("backend") ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(backend))
    throw new UsageError(`\`--backend\` must be one of ${BACKENDS.join(", ")}, not \`${backend}\``);
  const threads = intFlag(args, "threads", 1);
  if (threads !== undefined && threads > MAX_WASM_THREADS)
    throw new UsageError(`\`--threads\` must be at most ${MAX_WASM_THREADS}`);
  return {
    sampling: {
      temperature,
      ...(topK !== undefined ? { topK } : {}),
      ...(topP !== undefined ? { topP } : {}),
    },
    seed,
    backend: backend as (typeof BACKENDS)[number],
    ...(threads !== undefined ? { threads } : {}),
  };
}

export const generateCommand: Command = {
  name: "generate",
  summary: "continue a prompt with a trained model (images at `<image>` markers)",
  usage: `usage: mmc generate FILE [--train NAME | --model NAME] --checkpoint PATH
                    [--image a.png ...] --prompt TEXT [--max-tokens N] [--temperature T]
                    [--top-k K] [--top-p P] [--seed S] [--json] [--no-cache] [--chat]
                    [--batch requests.jsonl --out answers.jsonl [--batch-size N]]
                    [--backend auto|tensorflow|webgpu|wasm|cpu] [--threads N]

Loads the weights of the checkpoint at PATH (a step-N.safetensors file, or the train's checkpoint
folder, whose newest checkpoint that verifies is used) into the model of the file's only \`train\`
(or the one named by --train, or the train that uses --model) and prints the continuation of the
prompt. Each --image goes where an \`<image>\` marker stands in the prompt, in order; with no
markers the images come before the prompt, as in a caption pair. Generation stops at the end of
text, after --max-tokens tokens (default 64) or at the model's context. --temperature 0 (the
default) is greedy; above 0 it samples, from the --top-k most likely tokens and the smallest set
reaching --top-p, drawn from --seed (default 0). --json prints one object (text, tokens, stop,
prompt_tokens, seconds). --batch answers a JSONL file of requests
({"prompt": "...", "images": ["a.png"], "id": ..., "max_tokens": ..., "temperature": ...,
"top_k": ..., "top_p": ..., "seed": ...}, images relative to the file and inside its folder) into
--out, one answer a line; bad lines are reported with their line number and skipped (exit 1).
--batch-size N answers N requests at a time in one forward pass per token (the prompts padded
and masked; each answer is the one the request gets alone). --chat wraps each prompt in the
fine-tuning chat template, \`User: PROMPT\\nAssistant: \` (images with no markers open the user's
turn), as the conversation data lays it out. --no-cache runs the whole sequence for every token
(slower; for comparison).`,
  async run(argv, io) {
    const { values: images, rest } = takeRepeated(argv, "image");
    const args = parseArgs(rest, {
      values: [
        "train",
        "model",
        "checkpoint",
        "prompt",
        "max-tokens",
        "temperature",
        "top-k",
        "top-p",
        "seed",
        "batch",
        "batch-size",
        "out",
        "backend",
        "threads",
        "format",
      ],
      switches: ["json", "no-cache", "chat", "no-color", "trace"],
    });
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1)
      throw new UsageError("`mmc generate` needs one file, e.g. `mmc generate examples/tiny.mm`");
    const checkpoint = args.values.get("checkpoint");
    if (checkpoint === undefined)
      throw new UsageError(
        "`mmc generate` needs `--checkpoint PATH` (the train's checkpoint folder or a step file)",
      );
    const batch = args.values.get("batch");
    const out = args.values.get("out");
    const prompt = args.values.get("prompt");
    if (batch !== undefined) {
      if (out === undefined) throw new UsageError("`--batch` needs `--out answers.jsonl`");
      if (prompt !== undefined || images.length > 0)
        throw new UsageError(
          "`--batch` takes its prompts and images from the file: drop `--prompt` and `--image`",
        );
      if (resolve(out) === resolve(batch))
        throw new UsageError("`--out` must not be the requests file");
    } else {
      if (out !== undefined) throw new UsageError("`--out` goes with `--batch`");
      if (args.values.has("batch-size")) throw new UsageError("`--batch-size` goes with `--batch`");
      if (prompt === undefined && images.length === 0)
        throw new UsageError(
          "give `--prompt TEXT` (and `--image` files), or `--batch requests.jsonl`",
        );
    }
    const maxTokens = intFlag(args, "max-tokens", 1) ?? 64;
    const batchSize = batchSizeFlag(args);
    const flags = samplingFlags(args);
    const entry = await loadTrainEntry(
      file,
      args.values.get("train"),
      args.values.get("model"),
      io,
    );
    if (typeof entry === "number") return entry;
    return entry.runtime.generateMain(entry.config, {
      checkpoint,
      ...(prompt !== undefined ? { prompt } : {}),
      images,
      maxTokens,
      ...flags,
      json: args.switches.has("json"),
      ...(batch !== undefined ? { batch, out: out as string } : {}),
      ...(args.switches.has("no-cache") ? { noCache: true } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(args.switches.has("chat") ? { chat: true } : {}),
    });
  },
};
