// The train's benchmark tasks during `mmc run`, at `eval.every` and at the end (with the held-out
// loss): the files are read once before training, so a missing file stops the run before its
// first step, and each evaluation logs one `eval_task` record per task and shot count.
import type { Tokenizer } from "../data/tokenizer.js";
import type { MultimodalModel } from "../model.js";
import type { MetricsLog } from "../run/metrics-log.js";
import type { RunConfig } from "../run/run-config.js";
import { evalTaskRecord } from "./eval-main.js";
import { readTaskSamples } from "./eval-samples.js";
import { generatorImages } from "./main.js";
import { runTask } from "./eval-tasks.js";

export class BenchmarkEval {
  private constructor(
    private readonly config: RunConfig,
    private readonly tokenizer: Tokenizer,
  ) {}

  /** Undefined when the train declares no task; throws (a RunError) when a task's files are bad. */
  static async open(
    config: RunConfig,
    tokenizer: Tokenizer,
    warn: (line: string) => void,
  ): Promise<BenchmarkEval | undefined> {
    const tasks = config.eval.tasks ?? [];
    if (tasks.length === 0) return undefined;
    for (const t of tasks) await readTaskSamples(t, warn);
    return new BenchmarkEval(config, tokenizer);
  }

  async run(
    model: MultimodalModel,
    step: number,
    log: MetricsLog,
    say: (line: string) => void,
  ): Promise<void> {
    const g = {
      model,
      code: this.config.code,
      tokenizer: this.tokenizer,
      ...generatorImages(this.config),
    };
    for (const task of this.config.eval.tasks ?? []) {
      const results = await runTask(g, task, { warn: (l) => say(`warning: ${l}`) });
      for (const r of results) log.push(evalTaskRecord(step, r));
      say(
        `eval at step ${step}: ${task.name} ${results[0]?.metric ?? ""} ` +
          results.map((r) => `${(r.value * 100).toFixed(1)} at ${r.shots} shots`).join(", "),
      );
    }
  }
}
