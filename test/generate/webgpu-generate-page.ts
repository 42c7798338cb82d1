// The page test/generate/webgpu-generate.test.ts runs in chromium (bundled with esbuild): `mmc
// generate`'s request path (layout, prefill, KV cache, greedy and seeded sampling, batching) for
// each case's model, on cpu and then on webgpu in the same page, from the same seeded weights.
// `window.__mmcRun` resolves to each backend's answers and the first pass's logits.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import type { ModelInput } from "../../src/components/model.js";
import { ByteTokenizer } from "../../src/runtime/data/tokenizer.js";
import {
  prepareDocuments,
  requestDocument,
  runItems,
  type Generator,
} from "../../src/runtime/generate/request.js";
import type { SamplingOptions } from "../../src/runtime/generate/sampling.js";
import { MultimodalModel, type ModelCode } from "../../src/runtime/model.js";

/** The runtime's byte tokenizer, encoding without Node's Buffer (the same UTF-8 bytes). */
class PageTokenizer extends ByteTokenizer {
  override encode(text: string): Int32Array {
    return Int32Array.from(new TextEncoder().encode(text));
  }
}

export interface PageCase {
  readonly name: string;
  readonly input: ModelInput;
  readonly seed: number;
}

export interface PageRequest {
  readonly prompt: string;
  readonly images: number;
  readonly sampling: SamplingOptions;
  readonly seed: number;
}

export interface Answers {
  readonly backend: string;
  /** Per request: the ids with the cache one request at a time, in a batch, and without it. */
  readonly cached: number[][];
  readonly batched: number[][];
  readonly uncached: number[][];
  readonly stops: string[];
  /** The first request's prompt pass: the last position's logits. */
  readonly firstLogits: number[];
}

/** A deterministic image [3, size, size] in [-1, 1]. */
function image(size: number, k: number): Float32Array {
  return Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(0.37 * i + 1.3 * k));
}

async function answers(
  c: PageCase,
  code: ModelCode,
  requests: readonly PageRequest[],
  maxTokens: number,
): Promise<Omit<Answers, "backend">> {
  const model = MultimodalModel.fromInput(c.input, c.seed);
  const size = c.input.image?.[1] ?? 0;
  const imageTokens =
    c.input.connector === undefined ? 0 : Number(c.input.connector.config["tokens"]);
  const tokenizer = new PageTokenizer();
  const items = (g: Generator) =>
    requests.map((r) => {
      const images = Array.from({ length: r.images }, (_, k) => image(size, k + r.seed));
      return prepareDocuments(g, [requestDocument(g, r.prompt, r.images)], images, {
        maxTokens,
        sampling: r.sampling,
        seed: r.seed,
      });
    });
  const g: Generator = { model, code, tokenizer, imageTokens, imageSize: size };
  const cached = await runItems(g, items(g), 1);
  const batched = await runItems(g, items(g), requests.length);
  const nocache: Generator = { ...g, cache: false };
  const uncached = await runItems(nocache, items(nocache), 1);
  // the first request's prompt pass through the generated forward, as `--no-cache` runs it
  const first = items(g)[0]!;
  const logits = tf.tidy(() => {
    const t = first.prompt.tokens.length;
    const out = code.forward(model, {
      batchSize: 1,
      sequence: t,
      tokens: Int32Array.from(first.prompt.tokens),
      lossMask: new Uint8Array(t),
      ...(first.images !== undefined
        ? { images: first.images, imageSize: size, imageSlots: first.prompt.slots }
        : {}),
    }).logits;
    const vocab = out.shape[1];
    return tf.slice(out, [t - 1, 0], [1, vocab]); // logits [t, vocab]: the last position
  });
  const firstLogits = Array.from(await logits.data());
  logits.dispose();
  model.dispose();
  return {
    cached: cached.map((a) => a.ids),
    batched: batched.map((a) => a.ids),
    uncached: uncached.map((a) => a.ids),
    stops: cached.map((a) => a.stop),
    firstLogits,
  };
}

interface RunArgs {
  readonly requests: readonly PageRequest[];
  readonly maxTokens: number;
}

/** Sets `window.__mmcRun`: every case on cpu, then on webgpu. */
export function install(cases: readonly { case: PageCase; code: ModelCode }[]): void {
  const run = async (a: RunArgs) => {
    const out: Record<string, Answers[]> = {};
    for (const { case: c, code } of cases) {
      out[c.name] = [];
      for (const backend of ["cpu", "webgpu"]) {
        if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend("${backend}") failed`);
        await tf.ready();
        const r = await answers(c, code, a.requests, a.maxTokens);
        out[c.name]!.push({ backend: tf.getBackend(), ...r });
      }
    }
    return out;
  };
  (globalThis as unknown as { __mmcRun: typeof run }).__mmcRun = run;
}
