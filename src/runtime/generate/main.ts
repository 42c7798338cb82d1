// `mmc generate`'s runtime half: loads the train's model with a checkpoint's weights on the chosen
// backend, then answers one prompt (text, or `--json`) or a requests file (JSONL in, JSONL out).
// Failures that are the user's or the machine's are one line and exit 1.
import { rename, writeFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs-core";
import { maxPasses } from "../../components/tiles.js";
import type { BackendChoice } from "../backend.js";
import { openRegular } from "../data/contained-file.js";
import { loadTokenizer } from "../data/data-stream.js";
import { escapeControls } from "../data/show-text.js";
import { chooseBackend } from "../run/backend-choice.js";
import { RunError, showPath } from "../run/errors.js";
import { userError } from "../run/main.js";
import type { RunConfig } from "../run/run-config.js";
import { readRequests, type RequestDefaults } from "./batch.js";
import type { BatchItem, Generation } from "./generate.js";
import { loadImagePath, loadImageRef } from "./images.js";
import { loadTrainedModel } from "./model-load.js";
import { chatPrompt } from "./prompt.js";
import {
  imageInput,
  prepareDocuments,
  requestDocument,
  RequestError,
  runItems,
  runRequest,
  type Generator,
} from "./request.js";
import type { SamplingOptions } from "./sampling.js";

export interface GenerateCliOptions {
  readonly checkpoint: string;
  readonly prompt?: string;
  readonly images: readonly string[];
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
  readonly json: boolean;
  readonly batch?: string;
  readonly out?: string;
  readonly backend: BackendChoice;
  readonly threads?: number;
  /** Run the whole sequence for every token (for comparison; the cache is the default). */
  readonly noCache?: boolean;
  /** `--batch`: answer this many requests in one forward pass (default 1). */
  readonly batchSize?: number;
  /** Wrap each prompt in the fine-tuning chat template (`User: ...\nAssistant: `). */
  readonly chat?: boolean;
}

export interface Terminal {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processTerminal: Terminal = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** A generation as one JSON object (the shape `--json` and the answers file share). */
export function generationRecord(g: Generation): Record<string, unknown> {
  return {
    text: g.text,
    tokens: g.ids.length,
    stop: g.stop,
    prompt_tokens: g.promptTokens,
    seconds: Number(g.seconds.toFixed(4)),
  };
}

/**
 * How the train's model reads images: the positions an encoder pass takes (a tiled model's
 * compiled `imageTokens` is the most one image can take, its largest grid's crops and overview;
 * each pass takes an equal share, as training lays it out), the crop size and the tiles.
 */
export function generatorImages(
  config: RunConfig,
): Pick<Generator, "imageTokens" | "imageSize" | "tiles" | "imageResize" | "imageFit"> {
  const tiles = config.model.tiles;
  if (config.model.image === undefined) return { imageTokens: 0, imageSize: 0 };
  return {
    imageTokens: tiles ? config.imageTokens / maxPasses(tiles) : config.imageTokens,
    imageSize: config.model.image[1],
    ...(tiles ? { tiles } : {}),
    ...(config.data.resize ? { imageResize: config.data.resize } : {}),
    ...(config.data.fit ? { imageFit: config.data.fit } : {}),
  };
}

/** Opens the train's model on its backend; the caller disposes it. */
export async function openGenerator(
  config: RunConfig,
  o: Pick<GenerateCliOptions, "checkpoint" | "backend" | "threads" | "noCache">,
  note: (line: string) => void,
): Promise<Generator & { readonly step: number; readonly path: string; readonly backend: string }> {
  const chosen = await chooseBackend(config, o.backend, {
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    note,
  });
  const tokenizer = loadTokenizer(config.data);
  const loaded = await loadTrainedModel(config, o.checkpoint, (l) => note(`warning: ${l}`));
  return {
    model: loaded.model,
    code: config.code,
    tokenizer,
    ...generatorImages(config),
    step: loaded.step,
    path: loaded.path,
    backend: chosen.backend,
    ...(o.noCache ? { cache: false } : {}),
  };
}

async function single(g: Generator, o: GenerateCliOptions, term: Terminal): Promise<number> {
  const images: Float32Array[] = [];
  for (const path of o.images) {
    const r = await loadImagePath(path, imageInput(g));
    if (!r.ok) throw new RunError(r.message);
    images.push(r.pixels);
  }
  if (images.length > 0 && g.imageTokens === 0)
    throw new RunError(
      "this model has no vision encoder: drop `--image`, or use a multimodal `--train`",
    );
  const prompt = o.prompt ?? "";
  const result = await runRequest(g, {
    prompt: o.chat ? chatPrompt(prompt, images.length) : prompt,
    images,
    maxTokens: o.maxTokens,
    sampling: o.sampling,
    seed: o.seed,
  });
  if (o.json) term.stdout(`${JSON.stringify(generationRecord(result))}\n`);
  else term.stdout(`${escapeControls(result.text, true)}\n`);
  return 0;
}

async function batch(
  g: Generator,
  o: GenerateCliOptions,
  file: string,
  term: Terminal,
): Promise<number> {
  const out = o.out as string;
  const opened = await openRegular(file, `requests file \`${showPath(file)}\``);
  if (!opened.ok) throw new RunError(`${opened.message} (${opened.fix})`);
  const defaults: RequestDefaults = { maxTokens: o.maxTokens, sampling: o.sampling, seed: o.seed };
  const answers: string[] = [];
  let skipped = 0;
  const skip = (line: number, message: string) => {
    skipped++;
    term.stderr(`${showPath(file)}:${line}: ${escapeControls(message)}; skipped\n`);
  };
  // good requests wait here until `batchSize` of them run together
  let pending: { line: number; id?: string | number; item: BatchItem }[] = [];
  const flush = async () => {
    const results = await runItems(
      g,
      pending.map((p) => p.item),
      o.batchSize ?? 1,
    );
    pending.forEach((p, i) =>
      answers.push(
        JSON.stringify({
          line: p.line,
          ...(p.id !== undefined ? { id: p.id } : {}),
          ...generationRecord(results[i] as Generation),
        }),
      ),
    );
    pending = [];
  };
  for await (const parsed of readRequests(opened.handle, defaults)) {
    if (!parsed.ok) {
      skip(parsed.line, parsed.message);
      continue;
    }
    const r = parsed.request;
    const images: Float32Array[] = [];
    let failed: string | undefined;
    for (const ref of r.images) {
      const loaded = await loadImageRef(ref, file, imageInput(g));
      if (!loaded.ok) {
        failed = loaded.message;
        break;
      }
      images.push(loaded.pixels);
    }
    if (failed !== undefined) {
      skip(r.line, failed);
      continue;
    }
    try {
      const prompt = o.chat ? chatPrompt(r.prompt, images.length) : r.prompt;
      const item = prepareDocuments(g, [requestDocument(g, prompt, images.length)], images, r);
      pending.push({ line: r.line, ...(r.id !== undefined ? { id: r.id } : {}), item });
    } catch (e) {
      if (!(e instanceof RequestError)) throw e;
      skip(r.line, e.message);
    }
    if (pending.length >= (o.batchSize ?? 1)) await flush();
  }
  if (pending.length > 0) await flush();
  // written whole, then renamed: an answers file is never half there
  const tmp = `${out}.partial-${process.pid}`;
  await writeFile(tmp, answers.map((a) => `${a}\n`).join(""));
  await rename(tmp, out);
  term.stderr(
    `${answers.length} request${answers.length === 1 ? "" : "s"} answered into ${showPath(out)}` +
      (skipped > 0 ? `, ${skipped} skipped (see above)` : "") +
      "\n",
  );
  return skipped > 0 ? 1 : 0;
}

/** Runs `mmc generate` for a compiled train; returns the exit status. */
export async function generateMain(
  config: RunConfig,
  o: GenerateCliOptions,
  term: Terminal = processTerminal,
): Promise<number> {
  let g: Awaited<ReturnType<typeof openGenerator>> | undefined;
  try {
    g = await openGenerator(config, o, (l) => term.stderr(`${l}\n`));
    if (o.batch !== undefined) return await batch(g, o, o.batch, term);
    return await single(g, o, term);
  } catch (e) {
    if (e instanceof RequestError) {
      term.stderr(`error: ${e.message}\n`);
      return 1;
    }
    const user = userError(e);
    if (user !== undefined) {
      term.stderr(`error: ${user}\n`);
      return 1;
    }
    throw e;
  } finally {
    g?.model.dispose();
    tf.disposeVariables();
  }
}
