// The samples of a benchmark task and the choice of its queries and shots: the queries are the
// first `samples` of a seeded shuffle of the task's items; each query's k shots are drawn, by a
// generator seeded with (seed, query, k), from the items whose image is not the query's.
import { mixSeed, Prng } from "../data/prng.js";
import { readCocoCaptions } from "../data/read-coco.js";
import { readVqa } from "../data/read-vqa.js";
import { RunError } from "../run/errors.js";
import type { EvalTaskConfig } from "../run/run-config.js";

export interface EvalSample {
  readonly id: number | string;
  readonly imageId: number | string;
  readonly imagePath: string;
  /** VQA only. */
  readonly question?: string;
  /** Captioning: the reference captions; VQA: the human answers. */
  readonly references: readonly string[];
  /** The text a shot shows after its prompt: a caption, or the most common answer. */
  readonly shotAnswer: string;
  readonly answerType?: string;
  readonly questionType?: string;
}

/** The most given answer (ties: the first given), as a shot's answer when there is no MC answer. */
function commonest(answers: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best = answers[0] ?? "";
  for (const [a, n] of counts) if (n > (counts.get(best) ?? 0)) best = a;
  return best;
}

/** Reads the task's files (bad records are skipped and counted); throws a RunError when none is usable. */
export async function readTaskSamples(
  task: EvalTaskConfig,
  warn: (line: string) => void,
): Promise<EvalSample[]> {
  const out: EvalSample[] = [];
  if (task.kind === "captioning") {
    const set = await readCocoCaptions({
      annotations: task.annotations,
      imageDir: task.images,
      name: task.name,
    });
    for (const im of set.images)
      if (im.references.length > 0)
        out.push({
          id: im.imageId,
          imageId: im.imageId,
          imagePath: im.imagePath,
          references: im.references,
          shotAnswer: im.references[0] as string,
        });
    if (set.counts.skipped > 0) warn(`${task.name}: ${set.counts.skipped} images skipped`);
  } else {
    const set = await readVqa({
      questions: task.questions as string,
      annotations: task.annotations,
      imageDir: task.images,
      name: task.name,
    });
    for (const q of set.questions) {
      const answers = (q.answers ?? []).map((a) => a.answer);
      if (answers.length === 0) continue;
      out.push({
        id: q.questionId,
        imageId: q.imageId,
        imagePath: q.imagePath,
        question: q.question,
        references: answers,
        shotAnswer: q.multipleChoiceAnswer ?? commonest(answers),
        ...(q.answerType !== undefined ? { answerType: q.answerType } : {}),
        ...(q.questionType !== undefined ? { questionType: q.questionType } : {}),
      });
    }
    if (set.counts.skipped > 0) warn(`${task.name}: ${set.counts.skipped} questions skipped`);
  }
  if (out.length === 0)
    throw new RunError(
      `\`eval.${task.name}\` has no usable sample in its files (each needs an image and at least one ${task.kind === "vqa" ? "answer" : "reference"})`,
    );
  return out;
}

/** Indices of the evaluated samples: the first `samples` of a seeded shuffle. */
export function chooseQueries(count: number, samples: number, seed: number): number[] {
  const order = Prng.fromSeed(mixSeed(seed, 0x51)).shuffle(
    Array.from({ length: count }, (_, i) => i),
  );
  return order.slice(0, Math.min(samples, count));
}

/** The k shots of query `q` (an index into `all`): distinct items showing other images. */
export function chooseShots(
  all: readonly EvalSample[],
  q: number,
  k: number,
  seed: number,
  task: string,
): number[] {
  if (k === 0) return [];
  const query = all[q] as EvalSample;
  const pool: number[] = [];
  all.forEach((s, i) => {
    if (s.imageId !== query.imageId) pool.push(i);
  });
  if (pool.length < k)
    throw new RunError(
      `\`eval.${task}\` asks for ${k} shots, but only ${pool.length} samples show another image than the query's: use fewer shots or a larger set`,
    );
  const rng = Prng.fromSeed(mixSeed(seed, q, k));
  // a partial Fisher-Yates: the first k of a seeded shuffle of the pool
  for (let i = 0; i < k; i++) {
    const j = i + rng.nextInt(pool.length - i);
    const a = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = a;
  }
  return pool.slice(0, k);
}
