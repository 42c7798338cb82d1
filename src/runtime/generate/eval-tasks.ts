// Few-shot benchmark evaluation: for each task and shot count, every query is laid out after its
// shots (each shot a document of its own: BOS, the filled template with the image, the shot's
// answer, EOS), the model answers greedily until end of text, and the answers are scored with the
// standard metrics (src/metrics): CIDEr-D over the evaluated set, or VQAv2 accuracy.
import { cocoCiderD, numpyMean, vqaAccuracy } from "../../metrics/index.js";
import type { EvalTaskConfig } from "../run/run-config.js";
import { loadImagePath } from "./images.js";
import { IMAGE_MARKER, promptParts, type PromptDocument } from "./prompt.js";
import type { BatchItem } from "./generate.js";
import { imageInput, prepareDocuments, RequestError, runItems, type Generator } from "./request.js";
import { RunError } from "../run/errors.js";
import { chooseQueries, chooseShots, readTaskSamples, type EvalSample } from "./eval-samples.js";

export interface SampleResult {
  readonly index: number;
  readonly id: number | string;
  readonly image: string;
  readonly question?: string;
  /** The ids of the shots, in prompt order. */
  readonly shots: readonly (number | string)[];
  /** The whole prompt's text, `<image>` where each image went. */
  readonly prompt: string;
  readonly prediction: string;
  readonly references: readonly string[];
  readonly score: number;
}

export interface TaskResult {
  readonly task: string;
  readonly kind: EvalTaskConfig["kind"];
  readonly metric: "cider" | "accuracy";
  readonly shots: number;
  /** The mean of the samples' scores (CIDEr-D on its 0-10 scale; accuracy in 0-1). */
  readonly value: number;
  readonly samples: readonly SampleResult[];
  readonly seconds: number;
}

export interface EvalRunOptions {
  /** Each query shows another query's image (rotated by one): the shuffled-images control. */
  readonly shuffleImages?: boolean;
  /**
   * No image anywhere in the prompts (shots and query laid out as a text-only model reads them):
   * the images-withheld control of a multimodal model.
   */
  readonly noImages?: boolean;
  /** Queries answered in one forward pass (default 1); the answers are the same. */
  readonly batchSize?: number;
  readonly warn: (line: string) => void;
}

/** The template with the sample's question filled in. */
function fill(template: string, s: EvalSample): string {
  return template.replaceAll("{question}", s.question ?? "");
}

/** A text-only model reads the text alone: the markers are taken out. */
function textOf(text: string, withImages: boolean): string {
  return withImages ? text : text.replaceAll(IMAGE_MARKER, "");
}

export async function runTask(
  g: Generator,
  task: EvalTaskConfig,
  o: EvalRunOptions,
): Promise<TaskResult[]> {
  const all = await readTaskSamples(task, o.warn);
  const queries = chooseQueries(all.length, task.samples, task.seed);
  const withImages = g.imageTokens > 0 && o.noImages !== true;
  const batchSize = o.batchSize ?? 1;
  const pixels = new Map<string, Float32Array>();
  const image = async (path: string): Promise<Float32Array> => {
    const cached = pixels.get(path);
    if (cached) return cached;
    const r = await loadImagePath(path, imageInput(g));
    if (!r.ok) throw new RunError(`\`eval.${task.name}\`: ${r.message}`);
    pixels.set(path, r.pixels);
    return r.pixels;
  };
  const results: TaskResult[] = [];
  for (const k of task.shots) {
    const started = performance.now();
    const samples: SampleResult[] = [];
    const predictions: string[] = [];
    let pending: BatchItem[] = [];
    for (let qi = 0; qi < queries.length; qi++) {
      const q = queries[qi] as number;
      const query = all[q] as EvalSample;
      const shots = chooseShots(all, q, k, task.seed, task.name);
      const docs: PromptDocument[] = [];
      const images: Float32Array[] = [];
      const shown: string[] = [];
      for (const s of shots) {
        const shot = all[s] as EvalSample;
        const text = textOf(fill(task.prompt, shot), withImages) + shot.shotAnswer;
        docs.push({ parts: promptParts(text, withImages ? 1 : 0, images.length), closed: true });
        if (withImages) images.push(await image(shot.imagePath));
        shown.push(text);
      }
      const seen = o.shuffleImages
        ? (all[queries[(qi + 1) % queries.length] as number] as EvalSample)
        : query;
      const text = textOf(fill(task.prompt, query), withImages);
      docs.push({ parts: promptParts(text, withImages ? 1 : 0, images.length), closed: false });
      if (withImages) images.push(await image(seen.imagePath));
      shown.push(text);
      try {
        pending.push(
          prepareDocuments(g, docs, images, {
            maxTokens: task.maxTokens,
            sampling: { temperature: 0 },
            seed: 0,
          }),
        );
      } catch (e) {
        if (e instanceof RequestError)
          throw new RunError(`\`eval.${task.name}\` with ${k} shots: ${e.message}`);
        throw e;
      }
      samples.push({
        index: q,
        id: query.id,
        image: seen.imagePath,
        ...(query.question !== undefined ? { question: query.question } : {}),
        shots: shots.map((s) => (all[s] as EvalSample).id),
        prompt: shown.join("\n"),
        prediction: "",
        references: query.references,
        score: 0,
      });
      // `batchSize` queries answered in one forward pass (each answer as it is alone)
      if (pending.length >= batchSize || qi === queries.length - 1) {
        for (const r of await runItems(g, pending, batchSize)) predictions.push(r.text.trim());
        pending = [];
      }
    }
    const scores =
      task.kind === "captioning"
        ? cocoCiderD(
            samples.map((s, i) => ({
              references: s.references,
              hypothesis: predictions[i] as string,
            })),
          ).scores
        : samples.map((s, i) => vqaAccuracy(predictions[i] as string, s.references));
    const scored = samples.map((s, i) => ({
      ...s,
      prediction: predictions[i] as string,
      score: scores[i] as number,
    }));
    results.push({
      task: task.name,
      kind: task.kind,
      metric: task.kind === "captioning" ? "cider" : "accuracy",
      shots: k,
      value: numpyMean(scores),
      samples: scored,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return results;
}
