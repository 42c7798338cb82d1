// `mmc sweep FILE`: expands a `sweep` into its grid points (each checked as a train of its own),
// lists them with --dry-run, or trains them (src/sweep/runner.ts) into a sweep folder with a
// run folder per point, resumable, and renders report.md and report.html from it at the end.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CheckedProgram } from "../../check/ir.js";
import { trainFile } from "../../codegen/names.js";
import type { PointStatus, SweepManifest } from "../../report/sweep-format.js";
import { escapeControls } from "../../runtime/escape.js";
import { RunError, showPath } from "../../runtime/run/errors.js";
import { formatDuration } from "../../runtime/run/progress.js";
import { MAX_WASM_THREADS } from "../../runtime/threads.js";
import { claimSweepFolder, hasCheckpoint } from "../../sweep/folder.js";
import { ManifestError, readManifest } from "../../sweep/manifest.js";
import {
  ASSUMED_FLOPS_PER_SECOND,
  chooseSweep,
  estimateSeconds,
  POINT_OVERHEAD_SECONDS,
  planSweep,
  SweepChoiceError,
  type PlannedPoint,
  type SweepPlan,
} from "../../sweep/plan.js";
import { pointTable } from "../../sweep/listing.js";
import { pointName, runPoints, type PointJob } from "../../sweep/runner.js";
import { readMetricsFile } from "../../report/read.js";
import { choiceFlag, intFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import type { Io } from "../output.js";
import { checkForBuild, generate, linkRuntime, writeFiles, writeJavaScript } from "./compile.js";
import { reportCommand } from "./report.js";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

export const sweepCommand: Command = {
  name: "sweep",
  summary: "train every point of a sweep grid (resumable, in parallel) and write its report",
  usage: `usage: mmc sweep FILE [--sweep NAME] [--jobs N] [--resume | --fresh] [--dry-run]
                 [--steps N] [--backend auto|tensorflow|webgpu|wasm|cpu] [--threads N] [--json]

Expands the file's only \`sweep\` (or the one named by --sweep) into its grid points, each checked
as a train of its own, and trains them into sweeps/NAME next to FILE: one run folder per point
(metrics.jsonl, checkpoints) and sweep.json (docs/sweep.md). --jobs N trains N points at a time,
each a process of its own. Ctrl-C or SIGTERM stops the running points at a checkpoint; finished
points stay finished, and --resume continues the rest: a point whose resolved config changed
since (its fingerprint) is trained again, and says so. Without --resume a folder that holds a
sweep is refused; --fresh moves it to sweeps/NAME.old-N (nothing is deleted). --dry-run lists the
points with their parameters, image tokens, FLOPs per token, training memory and an estimated
time, and trains nothing. --steps overrides every point's steps. At the end report.md and
report.html are written into the sweep folder. --json prints the points (with --dry-run) or the
outcome as JSON on stdout.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["sweep", "jobs", "steps", "backend", "threads", "format"],
      switches: ["resume", "fresh", "dry-run", "json", "no-color", "trace"],
    });
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1)
      throw new UsageError("`mmc sweep` needs one file, e.g. `mmc sweep examples/sweep.mm`");
    const format = choiceFlag(args, "format", ["rich", "short", "json"] as const, "rich");
    const steps = intFlag(args, "steps", 1);
    const jobs = intFlag(args, "jobs", 1) ?? 1;
    if (jobs > 64) throw new UsageError("`--jobs` must be at most 64");
    const threads = intFlag(args, "threads", 1);
    if (threads !== undefined && threads > MAX_WASM_THREADS)
      throw new UsageError(`\`--threads\` must be at most ${MAX_WASM_THREADS}`);
    const backend = args.values.has("backend")
      ? choiceFlag(args, "backend", BACKENDS, "auto")
      : undefined;
    const resume = args.switches.has("resume");
    const fresh = args.switches.has("fresh");
    if (resume && fresh)
      throw new UsageError(
        "`--resume` continues the sweep in its folder and `--fresh` moves it aside: give one of them",
      );
    const checked = checkForBuild(file, io, format);
    if (typeof checked === "number") return checked;
    let plan: SweepPlan;
    try {
      const sweep = chooseSweep(checked.checked, file, args.values.get("sweep"));
      plan = planSweep(sweep, file, steps !== undefined ? { steps } : {});
    } catch (e) {
      if (e instanceof SweepChoiceError) throw new UsageError(e.message);
      throw e;
    }
    const json = args.switches.has("json");
    try {
      if (args.switches.has("dry-run")) {
        const rate = measuredRate(plan);
        io.stdout(
          json
            ? `${JSON.stringify(dryRunJson(plan, rate), null, 2)}\n`
            : dryRunText(plan, rate, jobs),
        );
        return 0;
      }
      return await train(plan, checked, {
        jobs,
        ...(backend !== undefined ? { backend } : {}),
        ...(threads !== undefined ? { threads } : {}),
        resume,
        fresh,
        json,
        io,
      });
    } catch (e) {
      if (e instanceof RunError || e instanceof ManifestError) {
        io.stderr(`error: ${escapeControls(e.message)}\n`);
        return 1;
      }
      throw e;
    }
  },
};

/** Training FLOPs per second measured on the finished points already in the sweep folder. */
function measuredRate(plan: SweepPlan): { flopsPerSecond: number; measured: boolean } {
  let manifest: SweepManifest | undefined;
  try {
    manifest = readManifest(plan.dir);
  } catch {
    manifest = undefined;
  }
  let flops = 0;
  let seconds = 0;
  for (const p of plan.points) {
    const old = manifest?.points.find((q) => q.dir === p.dir && q.fingerprint === p.fingerprint);
    if (old?.status !== "done") continue;
    try {
      const m = readMetricsFile(join(plan.dir, p.dir, "metrics.jsonl"));
      const timed = m.steps.filter((s) => s.stepSeconds !== undefined);
      if (timed.length === 0) continue;
      seconds += timed.reduce((n, s) => n + s.stepSeconds!, 0);
      flops += (timed.length * p.trainFlops) / p.train.steps;
    } catch {
      // a folder that does not read gives no measurement
    }
  }
  return flops > 0 && seconds > 0
    ? { flopsPerSecond: flops / seconds, measured: true }
    : { flopsPerSecond: ASSUMED_FLOPS_PER_SECOND, measured: false };
}

function dryRunText(
  plan: SweepPlan,
  rate: { flopsPerSecond: number; measured: boolean },
  jobs: number,
): string {
  const rows = pointTable(
    plan.sweep.axes,
    plan.points.map((p) => ({
      ...p,
      extra: [formatDuration(estimateSeconds(p, rate.flopsPerSecond))],
    })),
    ["est. time"],
  );
  const totalSeconds = plan.points.reduce((n, p) => n + estimateSeconds(p, rate.flopsPerSecond), 0);
  const gflops = `${(rate.flopsPerSecond / 1e9).toPrecision(2)} GFLOP/s`;
  const base = plan.points[0]?.train;
  return (
    `sweep ${plan.sweep.name}: ${plan.points.length} point${plan.points.length === 1 ? "" : "s"} of \`train ${plan.sweep.base}\`` +
    (base ? `, ${base.steps} steps of ${base.batch} x ${base.sequence} tokens each` : "") +
    ` into ${showPath(plan.dir)}\n` +
    `${rows}\n` +
    `estimated time: ${formatDuration(totalSeconds / Math.min(jobs, Math.max(1, plan.points.length)))} in all` +
    (jobs > 1 ? ` with --jobs ${jobs}` : "") +
    (rate.measured
      ? `, at the ${gflops} the sweep's finished points trained at`
      : `, at an assumed ${gflops} (training = 3 x forward FLOPs; measured once points have trained)`) +
    ` and ${POINT_OVERHEAD_SECONDS} s to start and evaluate each point\n` +
    `report: ${plan.sweep.report.join(", ")}\n`
  );
}

function dryRunJson(plan: SweepPlan, rate: { flopsPerSecond: number; measured: boolean }): unknown {
  return {
    sweep: plan.sweep.name,
    spec: plan.spec,
    dir: plan.dir,
    axes: plan.sweep.axes,
    report: plan.sweep.report,
    flops_per_second: rate.flopsPerSecond,
    flops_per_second_measured: rate.measured,
    points: plan.points.map((p) => ({
      id: p.id,
      labels: p.labels,
      dir: p.dir,
      steps: p.train.steps,
      fingerprint: p.fingerprint,
      ...p.derived,
      train_flops: p.trainFlops,
      estimated_seconds: estimateSeconds(p, rate.flopsPerSecond),
    })),
  };
}

/** A point's compiled entry: the point's train alone, generated into the sweep's .build folder. */
async function buildPoint(
  checked: { checked: CheckedProgram; sources: Parameters<typeof generate>[1] },
  plan: SweepPlan,
  point: PlannedPoint,
): Promise<string> {
  const program: CheckedProgram = {
    file: checked.checked.file,
    models: [],
    components: [],
    data: [point.train.data],
    trains: [point.train],
    sweeps: [],
  };
  const outDir = join(plan.dir, ".build", point.dir);
  const files = await generate(program, checked.sources, plan.spec, outDir);
  writeFiles(outDir, files);
  linkRuntime(outDir);
  await writeJavaScript(outDir, files);
  return join(outDir, trainFile(point.train).replace(/\.ts$/, ".js"));
}

async function train(
  plan: SweepPlan,
  checked: { checked: CheckedProgram; sources: Parameters<typeof generate>[1] },
  o: {
    jobs: number;
    backend?: string;
    threads?: number;
    resume: boolean;
    fresh: boolean;
    json: boolean;
    io: Io;
  },
): Promise<number> {
  const { io } = o;
  // With --json, stdout is the outcome alone: progress goes to stderr.
  const say = (line: string): void => (o.json ? io.stderr : io.stdout)(`${line}\n`);
  const sayErr = (line: string): void => io.stderr(`${line}\n`);
  const { previous, release } = await claimSweepFolder(plan.dir, o, say);
  try {
    const status = new Map<string, PointStatus>();
    const jobs: PointJob[] = [];
    const known = new Set(plan.points.map((p) => p.dir));
    for (const old of previous?.points ?? [])
      if (!known.has(old.dir))
        say(
          `note: ${escapeControls(old.dir)} is no longer a point of the sweep; its folder is kept`,
        );
    const changed: string[] = [];
    for (const p of plan.points) {
      const old = previous?.points.find((q) => q.dir === p.dir);
      const folder = join(plan.dir, p.dir);
      if (old !== undefined && old.fingerprint !== p.fingerprint) {
        changed.push(p.id);
        say(
          `${pointName(p)} changed since the last sweep (its resolved model or train is not the one trained): training it again; its previous run moves to ${showPath(folder)}.old-N`,
        );
      } else if (old?.status === "done") {
        status.set(p.id, "done");
        continue;
      }
      status.set(p.id, "pending");
      const mode =
        old !== undefined && !changed.includes(p.id) && (await hasCheckpoint(folder))
          ? "resume"
          : "fresh";
      jobs.push({ point: p, entry: "", mode });
    }
    const skipped = plan.points.length - jobs.length;
    say(
      `sweep ${plan.sweep.name}: ${plan.points.length} points into ${showPath(plan.dir)}` +
        (skipped > 0 ? `, ${skipped} done already (skipped)` : "") +
        (changed.length > 0 ? `, ${changed.length} changed (${changed.join(", ")})` : "") +
        (o.jobs > 1 ? `, ${o.jobs} at a time` : ""),
    );
    // Every point is compiled before any trains: a point that does not build stops the sweep now.
    const built: PointJob[] = [];
    for (const j of jobs) built.push({ ...j, entry: await buildPoint(checked, plan, j.point) });
    await ensureCorpora(jobs, say);
    const threads =
      o.threads ??
      (o.jobs > 1 ? Math.max(1, Math.floor(availableParallelism() / o.jobs)) : undefined);
    const outcome = await runPoints(plan, status, built, {
      jobs: o.jobs,
      ...(o.backend !== undefined ? { backend: o.backend } : {}),
      ...(threads !== undefined ? { threads } : {}),
      say,
      sayErr,
    });
    if (outcome.stopped === undefined && outcome.done > 0) {
      const code = await reportCommand.run([plan.dir], { ...io, stdout: (t) => say(t.trimEnd()) });
      if (code !== 0) return code;
    }
    if (o.json)
      io.stdout(
        `${JSON.stringify({ sweep: plan.sweep.name, dir: plan.dir, points: plan.points.map((p) => ({ id: p.id, dir: p.dir, status: status.get(p.id) })) }, null, 2)}\n`,
      );
    if (outcome.stopped !== undefined) return outcome.stopped === "SIGINT" ? 130 : 143;
    return outcome.failed.length > 0 ? 1 : 0;
  } finally {
    await release();
  }
}

/** Writes each synthetic corpus the points need once, before they start (not once per point). */
async function ensureCorpora(
  jobs: readonly PointJob[],
  say: (line: string) => void,
): Promise<void> {
  const dirs = new Set<string>();
  for (const j of jobs) if (j.point.train.data.synthesize) dirs.add(j.point.train.data.synthesize);
  if (dirs.size === 0) return;
  const runtime = (await import(
    pathToFileURL(join(PACKAGE_ROOT, "dist", "runtime", "index.js")).href
  )) as typeof import("../../runtime/index.js");
  for (const synthesize of dirs) await runtime.ensureSyntheticData({ synthesize }, say);
}
