// Trains a sweep's points: one after another or `jobs` at a time, each as a child process (the
// point's compiled train entry, run by node with its arguments as an array, no shell) writing
// into its own folder. sweep.json is rewritten atomically at every change of a point's status.
// Ctrl-C or SIGTERM is passed to each running point once (it checkpoints and stops); the sweep
// then stops starting points, so finished points stay finished and --resume continues the rest.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { PointStatus } from "../report/sweep-format.js";
import { escapeControls } from "../runtime/escape.js";
import { formatDuration } from "../runtime/run/progress.js";
import { buildManifest, ManifestError, writeManifest } from "./manifest.js";
import type { PlannedPoint, SweepPlan } from "./plan.js";

/** How a point starts: continuing its checkpoint, or from scratch (a previous run moved aside). */
export type StartMode = "resume" | "fresh";

export interface PointJob {
  readonly point: PlannedPoint;
  /** The compiled train entry (`train-<sweep>-p0.js`). */
  readonly entry: string;
  readonly mode: StartMode;
}

export interface RunnerOptions {
  readonly jobs: number;
  readonly backend?: string;
  readonly threads?: number;
  readonly say: (line: string) => void;
  readonly sayErr: (line: string) => void;
}

export interface SweepOutcome {
  readonly done: number;
  readonly failed: readonly string[];
  /** The signal that stopped the sweep, if one did. */
  readonly stopped?: "SIGINT" | "SIGTERM";
}

/** "p0 (AvgPool { tokens: 16 }, Image[3, 64, 64])": a point for messages, control characters escaped. */
export function pointName(p: PlannedPoint): string {
  return `${p.id} (${escapeControls(p.labels.join(", "))})`;
}

/** The exit statuses of a point that stopped on a signal (it wrote a checkpoint first). */
const INTERRUPTED = new Set([130, 141, 143]);

export async function runPoints(
  plan: SweepPlan,
  status: Map<string, PointStatus>,
  jobs: readonly PointJob[],
  options: RunnerOptions,
): Promise<SweepOutcome> {
  const { say } = options;
  let stopped: "SIGINT" | "SIGTERM" | undefined;
  const running = new Map<string, ReturnType<typeof spawn>>();
  // A manifest that cannot be written stops the sweep (its progress could not be kept): the
  // running points checkpoint and stop, as on SIGTERM.
  let manifestError: string | undefined;
  const save = (): void => {
    try {
      writeManifest(
        plan.dir,
        buildManifest(plan, (id) => status.get(id) ?? "pending"),
      );
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      if (manifestError !== undefined) return; // said once already
      manifestError = e.message;
      options.sayErr(`error: ${escapeControls(e.message)}; stopping the sweep`);
      stopped ??= "SIGTERM";
      for (const child of running.values()) child.kill("SIGTERM");
    }
  };
  save();
  const started = performance.now();
  const total = plan.points.length;
  const failed: string[] = [];
  // FLOPs trained and seconds spent by the points finished in this session, for the ETA.
  let flopsDone = 0;
  let secondsDone = 0;

  const onSignal = (sig: "SIGINT" | "SIGTERM"): void => {
    const first = stopped === undefined;
    stopped ??= sig;
    if (first)
      say(
        `sweep ${plan.sweep.name}: ${sig === "SIGINT" ? "interrupted" : "SIGTERM received"}: the running points finish their step and write a checkpoint; no new point starts (again to stop them at once)`,
      );
    for (const child of running.values()) child.kill(sig);
  };
  const onInt = (): void => onSignal("SIGINT");
  const onTerm = (): void => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  // A sweep that exits some other way (an error) stops its points too.
  const onExit = (): void => {
    for (const child of running.values()) child.kill("SIGTERM");
  };
  process.on("exit", onExit);

  const sweepLine = (): void => {
    const done = plan.points.filter((p) => status.get(p.id) === "done").length;
    const left = jobs.filter(
      (j) => status.get(j.point.id) !== "done" && !failed.includes(j.point.id),
    );
    const flopsLeft = left.reduce((n, j) => n + j.point.trainFlops, 0);
    const eta =
      flopsDone > 0 && left.length > 0
        ? `, ETA ${formatDuration((flopsLeft * secondsDone) / flopsDone / Math.min(options.jobs, left.length))}`
        : "";
    say(
      `sweep ${plan.sweep.name}: ${done}/${total} points done` +
        (failed.length > 0 ? `, ${failed.length} failed` : "") +
        `, ${formatDuration((performance.now() - started) / 1000)} elapsed${eta}`,
    );
  };

  const runOne = (job: PointJob): Promise<void> =>
    new Promise((resolve) => {
      const { point } = job;
      const args = [job.entry, job.mode === "resume" ? "--resume" : "--fresh"];
      if (options.backend !== undefined) args.push("--backend", options.backend);
      if (options.threads !== undefined) args.push("--threads", String(options.threads));
      say(
        `[${point.id}] ${job.mode === "resume" ? "continuing" : "training"} ${pointName(point)} in ${escapeControls(point.dir)}`,
      );
      status.set(point.id, "running");
      save();
      const t0 = performance.now();
      // Its own process group: a Ctrl-C at the terminal reaches the sweep only, which passes it
      // on exactly once (a second signal would make the point quit without its checkpoint).
      const child = spawn(process.execPath, args, {
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
        env: { ...process.env, NO_COLOR: "1" },
      });
      running.set(point.id, child);
      createInterface({ input: child.stdout! }).on("line", (l) => say(`[${point.id}] ${l}`));
      createInterface({ input: child.stderr! }).on("line", (l) =>
        options.sayErr(`[${point.id}] ${l}`),
      );
      let finished = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (finished) return;
        finished = true;
        running.delete(point.id);
        const seconds = (performance.now() - t0) / 1000;
        if (code === 0) {
          status.set(point.id, "done");
          // a resumed point trained only part of its FLOPs: its speed is not counted
          if (job.mode === "fresh") {
            flopsDone += point.trainFlops;
            secondsDone += seconds;
          }
          say(`[${point.id}] done in ${formatDuration(seconds)}`);
        } else if (stopped !== undefined && (signal !== null || INTERRUPTED.has(code ?? -1))) {
          say(`[${point.id}] stopped; \`mmc sweep --resume\` continues it from its checkpoint`);
        } else {
          status.set(point.id, "failed");
          failed.push(point.id);
          options.sayErr(
            `error: point ${pointName(point)} failed (${signal !== null ? `killed by ${signal}` : `exit ${code}`}); its output is above, and its folder is ${escapeControls(point.dir)}`,
          );
        }
        save();
        sweepLine();
        resolve();
      };
      child.on("error", (e) => {
        options.sayErr(`error: cannot start point ${point.id}: ${e.message}`);
        finish(1, null);
      });
      // `close`, not `exit`: the point's last lines are read by then
      child.on("close", (code, signal) => finish(code, signal));
    });

  try {
    const queue = [...jobs];
    const workers = Array.from(
      { length: Math.max(1, Math.min(options.jobs, queue.length)) },
      async () => {
        for (
          let job = queue.shift();
          job !== undefined && stopped === undefined;
          job = queue.shift()
        )
          await runOne(job);
      },
    );
    await Promise.all(workers);
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    process.off("exit", onExit);
  }
  const done = plan.points.filter((p) => status.get(p.id) === "done").length;
  if (manifestError !== undefined) throw new ManifestError(manifestError);
  return { done, failed, ...(stopped ? { stopped } : {}) };
}
