// `mmc eval`'s runtime half: the train's model with a checkpoint's weights runs the train's
// benchmark tasks; prints a table (task x shots), writes each sample's prompt, prediction,
// references and score to `<task>-<k>shot.jsonl` and the scores as `eval_task` records to
// `eval.jsonl` in the output folder, and with `--json` prints the aggregate.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { BackendChoice } from "../backend.js";
import { escapeControls } from "../data/show-text.js";
import { RunError, showPath } from "../run/errors.js";
import { userError } from "../run/main.js";
import type { RunConfig } from "../run/run-config.js";
import { runTask, type TaskResult } from "./eval-tasks.js";
import { openGenerator, type Terminal } from "./main.js";

export interface EvalCliOptions {
  readonly checkpoint: string;
  readonly json: boolean;
  /** Default: `eval-step-<N>` beside the checkpoint file. */
  readonly out?: string;
  readonly backend: BackendChoice;
  readonly threads?: number;
  /** Evaluate this many samples per task instead of the spec's `samples`. */
  readonly samples?: number;
  readonly shuffleImages?: boolean;
  /** The images-withheld control: no image in any prompt. */
  readonly noImages?: boolean;
  /** Queries answered in one forward pass (default 1). */
  readonly batchSize?: number;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function evalTaskRecord(step: number, r: TaskResult): Record<string, unknown> {
  return {
    type: "eval_task",
    step,
    task: r.task,
    shots: r.shots,
    metric: r.metric,
    value: r.value,
  };
}

/** The table: one row per task and metric, one column per shot count; scores x100 as published. */
export function renderTable(results: readonly TaskResult[]): string {
  const shots = [...new Set(results.map((r) => r.shots))].sort((a, b) => a - b);
  const rows = [...new Set(results.map((r) => `${r.task} ${r.metric}`))];
  const head = ["task", ...shots.map((k) => `${k}-shot`)];
  const body = rows.map((row) => [
    escapeControls(row),
    ...shots.map((k) => {
      const r = results.find((x) => `${x.task} ${x.metric}` === row && x.shots === k);
      return r === undefined ? "—" : (r.value * 100).toFixed(1);
    }),
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.map((b) => (b[i] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  return [line(head), ...body.map(line)].join("\n");
}

export async function evalMain(
  config: RunConfig,
  o: EvalCliOptions,
  term: Terminal,
): Promise<number> {
  let g: Awaited<ReturnType<typeof openGenerator>> | undefined;
  try {
    const tasks = config.eval.tasks ?? [];
    if (tasks.length === 0)
      throw new RunError(
        `\`train ${config.name}\` declares no benchmark task: add \`captioning: { ... }\` or \`vqa: { ... }\` to its \`eval\` setting (docs/eval.md)`,
      );
    g = await openGenerator(config, o, (l) => term.stderr(`${l}\n`));
    const out = o.out ?? join(dirname(g.path), `eval-step-${g.step}`);
    await mkdir(out, { recursive: true });
    const results: TaskResult[] = [];
    for (const task of tasks) {
      const t = o.samples !== undefined ? { ...task, samples: o.samples } : task;
      for (const r of await runTask(g, t, {
        shuffleImages: o.shuffleImages === true,
        noImages: o.noImages === true,
        batchSize: o.batchSize ?? 1,
        warn: (l) => term.stderr(`warning: ${escapeControls(l)}\n`),
      })) {
        results.push(r);
        await writeAtomic(
          join(out, `${r.task}-${r.shots}shot.jsonl`),
          r.samples.map((s) => `${JSON.stringify(s)}\n`).join(""),
        );
        if (!o.json)
          term.stderr(
            `${r.task}, ${r.shots} shots: ${r.metric} ${(r.value * 100).toFixed(1)} over ${r.samples.length} samples (${(r.samples.length / r.seconds).toFixed(2)} samples/s)\n`,
          );
      }
    }
    await writeAtomic(
      join(out, "eval.jsonl"),
      results.map((r) => `${JSON.stringify(evalTaskRecord(g!.step, r))}\n`).join(""),
    );
    if (o.json)
      term.stdout(
        `${JSON.stringify({
          train: config.name,
          checkpoint: g.path,
          step: g.step,
          out,
          ...(o.shuffleImages ? { shuffled_images: true } : {}),
          ...(o.noImages ? { images_withheld: true } : {}),
          results: results.map((r) => ({
            task: r.task,
            shots: r.shots,
            metric: r.metric,
            value: r.value,
            samples: r.samples.length,
            seconds: Number(r.seconds.toFixed(3)),
          })),
        })}\n`,
      );
    else
      term.stdout(
        `${renderTable(results)}\n(step ${g.step}; CIDEr-D and accuracy x100; per-sample results in ${showPath(out)})\n`,
      );
    return 0;
  } catch (e) {
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
