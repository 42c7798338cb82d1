// `mmc data synth` writes the synthetic starter corpus; `mmc data inspect` shows the realised
// mixture of a `data` block and one packed sequence. The data library is loaded on demand.
import { checkSpec } from "../load.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import type { CheckedData, CheckedTrain } from "../../check/ir.js";
import { choiceFlag, intFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { realPath } from "../host.js";
import { printDiagnostics, type Io } from "../output.js";

const USAGE = `usage: mmc data synth --out DIR [--seed N] [--size small|medium]
       mmc data inspect FILE [--data NAME] [--samples K] [--sequence N] [--image-tokens N] [--strict]

synth    writes a synthetic corpus in real formats: WebDataset caption shards of PNG images of
         coloured shapes, interleaved JSONL documents, text JSONL, and a held-out split (a caption
         shard, and its images with COCO-style captions and VQAv2-style questions), and LLaVA-style
         instruction conversations for fine-tuning. Deterministic per seed.
inspect  draws K samples (default 10000) from a \`data\` block (--data, else the only one or the
         one the first \`train\` uses) and compares the realised mixture
         with the declared weights; shows tokens per source and one packed sequence.`;

export const dataCommand: Command = {
  name: "data",
  summary: "write the synthetic corpus (synth) or inspect a data mixture (inspect)",
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === "synth") return synth(rest, io);
    if (sub === "inspect") return inspectData(rest, io);
    throw new UsageError(
      sub
        ? `unknown \`mmc data\` command \`${sub}\` (use \`synth\` or \`inspect\`)`
        : "`mmc data` needs `synth` or `inspect`",
    );
  },
};

async function synth(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    values: ["out", "seed", "size"],
    switches: ["no-color", "trace"],
    aliases: { "-o": "out" },
  });
  const out = args.values.get("out");
  if (!out) throw new UsageError("`mmc data synth` needs `--out DIR`");
  const seed = intFlag(args, "seed") ?? 0;
  const size = choiceFlag(args, "size", ["tiny", "small", "medium"] as const, "small");
  const { synthesize } = await import("../../runtime/data-tools/index.js");
  const start = Date.now();
  const r = await synthesize({ outDir: out, seed, size });
  const c = r.counts;
  io.stdout(
    `wrote a ${size} synthetic corpus to ${out} (seed ${seed}) in ${((Date.now() - start) / 1000).toFixed(1)} s:\n` +
      `  ${c.captionPairs} image-caption pairs in ${c.shards} WebDataset shards\n` +
      `  ${c.interleavedDocs} interleaved documents with ${c.interleavedImages} images\n` +
      `  ${c.textLines} text lines\n` +
      `  ${c.heldoutPairs} held-out image-caption pairs for evaluation\n` +
      `  the same ${c.heldoutImages} held-out images with ${c.heldoutCaptions} COCO-style reference captions and ${c.vqaQuestions} VQAv2-style questions\n` +
      `  ${c.instructConversations} LLaVA-style instruction conversations for fine-tuning\n`,
  );
  return 0;
}

/**
 * Checks a spec and returns one of its data mixtures (paths made real) with the first train
 * that uses it, or an exit code after printing why not.
 */
export function loadData(
  file: string,
  name: string | undefined,
  io: Io,
): { data: CheckedData; train?: CheckedTrain } | number {
  const result = checkSpec(file);
  printDiagnostics(io, result.diagnostics, result.sources, "rich");
  if (hasErrors(result.diagnostics) || !result.checked) return 1;
  const all = result.checked.data;
  if (all.length === 0) throw new UsageError(`\`${file}\` declares no \`data\` block`);
  // Without --data: the only data block, or the one the first train uses.
  const firstTrain = result.checked.trains[0]?.data.name;
  const chosen = name
    ? all.find((d) => d.name === name)
    : all.length === 1
      ? all[0]
      : all.find((d) => d.name === firstTrain);
  if (!chosen) {
    const names = all.map((d) => `\`${d.name}\``).join(", ");
    throw new UsageError(
      name
        ? `\`${file}\` has no \`data ${name}\` (it has ${names})`
        : `\`${file}\` has several data blocks (${names}); choose one with \`--data NAME\``,
    );
  }
  const train = result.checked.trains.find((t) => t.data.name === chosen.name);
  const data = {
    ...chosen,
    sources: chosen.sources.map((s) => ({ ...s, path: realPath(s.path) })),
    ...(chosen.roots
      ? { roots: chosen.roots.map((r) => (r.absolute ? r : { ...r, path: realPath(r.path) })) }
      : {}),
  };
  return train ? { data, train } : { data };
}

async function inspectData(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(argv, {
    values: ["data", "samples", "sequence", "image-tokens", "format"],
    switches: ["strict", "no-color", "trace"],
  });
  const file = args.positionals[0];
  if (!file)
    throw new UsageError(
      "`mmc data inspect` needs a file, e.g. `mmc data inspect examples/tiny.mm`",
    );
  const loaded = loadData(file, args.values.get("data"), io);
  if (typeof loaded === "number") return loaded;
  const { data, train } = loaded;
  const { DataError } = await import("../../runtime/data/index.js");
  const { inspect, renderInspect, synthesize, addMissingInstructSplit } =
    await import("../../runtime/data-tools/index.js");
  if (data.synthesize && !existsSync(join(data.synthesize, "synth.json"))) {
    io.stdout(
      `the synthetic corpus is missing: writing it to ${data.synthesize} (seed 0, size small)\n`,
    );
    await synthesize({ outDir: data.synthesize, seed: 0, size: "small" });
  } else if (data.synthesize) {
    // a corpus from before the instruction split gets the split; nothing else is rewritten
    const added = await addMissingInstructSplit(data.synthesize);
    if (added > 0)
      io.stdout(`added the instruction split (${added} conversations) to ${data.synthesize}\n`);
  }
  try {
    const result = await inspect(
      { ...data, roots: data.roots?.map((r) => r.path) ?? [], seed: 0 },
      {
        samples: intFlag(args, "samples", 1) ?? 10_000,
        sequence: intFlag(args, "sequence", 16) ?? train?.sequence ?? 256,
        imageTokens: intFlag(args, "image-tokens", 1) ?? train?.model.summary.imageTokens ?? 16,
        ...(train?.model.image ? { image: { size: train.model.image[1] } } : {}),
        strict: args.switches.has("strict"),
      },
    );
    io.stdout(renderInspect(result));
    return 0;
  } catch (e) {
    if (e instanceof DataError) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
