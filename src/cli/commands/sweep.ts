// `mmc sweep FILE`: expands a `sweep` into its grid points (each checked as a train of its own),
// lists them with --dry-run, or trains them (src/sweep/runner.ts) into a sweep folder with a
// run folder per point, resumable, and renders report.md and report.html from it at the end.
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { CheckedProgram, CheckedSweep } from "../../check/ir.js";
import { checkTarget, TARGETS } from "../../codegen/pytorch/target.js";
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import type { SourceFile } from "../../source/source-file.js";
import { trainFile } from "../../codegen/names.js";
import type { PointStatus, SweepManifest } from "../../report/sweep-format.js";
import { escapeControls } from "../../runtime/escape.js";
import { badPath, fsRunError, isFsError, RunError, showPath } from "../../runtime/run/errors.js";
import { claimAside } from "../../runtime/run/run-folder.js";
import { formatDuration } from "../../runtime/run/progress.js";
import { MAX_WASM_THREADS } from "../../runtime/threads.js";
import { claimSweepFolder, hasCheckpoint } from "../../sweep/folder.js";
import { buildManifest, ManifestError, readManifest, writeManifest } from "../../sweep/manifest.js";
import {
  LAUNCH_SCRIPT,
  launchScript,
  PACKAGES_DIR,
  shellWord,
  SLURM_SCRIPT,
  slurmScript,
} from "../../sweep/launch.js";
import {
  ASSUMED_FLOPS_PER_SECOND,
  chooseSweep,
  estimateSeconds,
  POINT_OVERHEAD_SECONDS,
  planSweep,
  SweepChoiceError,
  type PlannedPoint,
  type PlanOptions,
  type PointChange,
  type SweepPlan,
} from "../../sweep/plan.js";
import { pointTable } from "../../sweep/listing.js";
import { pointName, runPoints, type PointJob } from "../../sweep/runner.js";
import { readMetricsFile } from "../../report/read.js";
import { choiceFlag, intFlag, parseArgs, UsageError } from "../args.js";
import type { Command } from "../commands.js";
import { PACKAGE_ROOT } from "../host.js";
import { printDiagnostics, type Io } from "../output.js";
import {
  checkForBuild,
  generate,
  generatePytorch,
  linkRuntime,
  writeFiles,
  writeJavaScript,
} from "./compile.js";
import { reportCommand } from "./report.js";

const BACKENDS = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

export const sweepCommand: Command = {
  name: "sweep",
  summary: "train every point of a sweep grid (resumable, in parallel) and write its report",
  usage: `usage: mmc sweep FILE [--sweep NAME] [--jobs N] [--resume | --fresh] [--dry-run]
                 [--steps N] [--backend auto|tensorflow|webgpu|wasm|cpu] [--threads N] [--json]
       mmc sweep FILE --target pytorch --emit-only [-o DIR] [--sweep NAME] [--steps N] [--json]

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
outcome as JSON on stdout. A point is known by its axis values: inserting or reordering values
keeps every other point's folder and results, and the sweep says which points are new, changed
or unchanged.

--target pytorch --emit-only trains nothing: it writes each point's PyTorch package under
DIR/pytorch/ (DIR: -o, else sweeps/NAME-pytorch next to FILE), DIR/launch.sh (one torchrun line
per point) and DIR/sweep.sbatch (a Slurm array, task i = point i); a point the PyTorch target
cannot run is an error naming it, and nothing is written.`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["sweep", "jobs", "steps", "backend", "threads", "format", "target", "out"],
      switches: ["resume", "fresh", "dry-run", "json", "no-color", "trace", "emit-only"],
      aliases: { "-o": "out" },
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
    const target = choiceFlag(args, "target", TARGETS, "typescript");
    const emitOnly = args.switches.has("emit-only");
    if (target === "pytorch" && !emitOnly)
      throw new UsageError(
        "`mmc sweep --target pytorch` writes each point's package and launch scripts: add `--emit-only` " +
          "(mmc does not run a sweep's points on PyTorch itself; launch.sh or sweep.sbatch does)",
      );
    if (emitOnly && target !== "pytorch")
      throw new UsageError(
        "`--emit-only` writes PyTorch packages and launch scripts: add `--target pytorch`",
      );
    if (emitOnly) {
      const clash = ["jobs", "backend", "threads"].filter((f) => args.values.has(f));
      const switched = ["resume", "fresh", "dry-run"].filter((f) => args.switches.has(f));
      if (clash.length + switched.length > 0)
        throw new UsageError(
          `\`--emit-only\` trains nothing, so ${[...clash, ...switched].map((f) => `\`--${f}\``).join(", ")} ha${clash.length + switched.length === 1 ? "s" : "ve"} nothing to do: leave ${clash.length + switched.length === 1 ? "it" : "them"} out`,
        );
    } else if (args.values.has("out"))
      throw new UsageError(
        "`-o DIR` is where `--target pytorch --emit-only` writes; a trained sweep goes to sweeps/NAME next to FILE",
      );
    const checked = checkForBuild(file, io, format);
    if (typeof checked === "number") return checked;
    let sweep: CheckedSweep;
    try {
      sweep = chooseSweep(checked.checked, file, args.values.get("sweep"));
    } catch (e) {
      if (e instanceof SweepChoiceError) throw new UsageError(e.message);
      throw e;
    }
    const planOptions = {
      ...(steps !== undefined ? { steps } : {}),
      ...(emitOnly
        ? { dir: args.values.get("out") ?? join(dirname(file), "sweeps", `${sweep.name}-pytorch`) }
        : {}),
    };
    const json = args.switches.has("json");
    try {
      if (emitOnly)
        return await emitPytorchSweep(sweep, checked, file, planOptions, { format, json, io });
      if (args.switches.has("dry-run")) {
        // read-only: the folder's manifest, if any, says which points are new or changed
        const first = planSweep(sweep, file, planOptions);
        const plan = planSweep(sweep, file, { ...planOptions, ...previousOf(first.dir) });
        const rate = measuredRate(plan);
        io.stdout(
          json
            ? `${JSON.stringify(dryRunJson(plan, rate), null, 2)}\n`
            : dryRunText(plan, rate, jobs),
        );
        return 0;
      }
      return await train(sweep, file, planOptions, checked, {
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

/** The manifest and the names already in a sweep folder, for planning (nothing when there is none). */
function previousOf(dir: string): Pick<PlanOptions, "previous" | "taken"> {
  let previous: SweepManifest | undefined;
  try {
    previous = readManifest(dir);
  } catch {
    previous = undefined; // a damaged manifest: the points are listed as new
  }
  let taken: string[] = [];
  try {
    taken = readdirSync(dir);
  } catch {
    taken = [];
  }
  return { ...(previous ? { previous } : {}), taken };
}

/** "2 new (p4, p5)"-style counts of what changed since the folder's manifest, or "". */
function changeLines(plan: SweepPlan): string[] {
  const of = (c: PointChange) => plan.points.filter((p) => p.change === c);
  const lines: string[] = [];
  const list = (ps: readonly PlannedPoint[], more: (p: PlannedPoint) => string = () => "") =>
    ps.map((p) => `${pointName(p)}${more(p)}`).join(", ");
  if (of("new").length > 0) lines.push(`  new: ${list(of("new"))}`);
  if (of("changed").length > 0)
    lines.push(`  changed (fingerprint differs): ${list(of("changed"))}`);
  if (of("unchanged").length > 0)
    lines.push(
      `  unchanged: ${list(of("unchanged"), (p) => (p.previous?.status === "done" ? " done" : ` ${p.previous?.status ?? "pending"}`))}`,
    );
  for (const q of plan.retired)
    lines.push(
      `  no longer in the grid: ${q.id} (${escapeControls(q.labels.join(", "))}); its folder ${escapeControls(q.dir)} is kept`,
    );
  return lines;
}

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
  const againstPrevious = plan.points.some((p) => p.change !== "new") || plan.retired.length > 0;
  const rows = pointTable(
    plan.sweep.axes,
    plan.points.map((p) => ({
      ...p,
      extra: [
        formatDuration(estimateSeconds(p, rate.flopsPerSecond)),
        ...(againstPrevious
          ? [p.change === "unchanged" ? `unchanged, ${p.previous?.status ?? "pending"}` : p.change]
          : []),
      ],
    })),
    ["est. time", ...(againstPrevious ? ["since last sweep"] : [])],
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
      change: p.change,
      ...(p.previous ? { previous_status: p.previous.status } : {}),
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
  sweep: CheckedSweep,
  file: string,
  planOptions: PlanOptions,
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
  const dir = planSweep(sweep, file, planOptions).dir;
  const { previous, release } = await claimSweepFolder(dir, o, say);
  try {
    // Points are matched to the previous manifest's by their axis values (then fingerprint), so
    // an inserted or reordered axis value keeps every other point's folder and results.
    const taken = previous ? previousOf(dir).taken : [];
    const plan = planSweep(sweep, file, {
      ...planOptions,
      ...(previous ? { previous } : {}),
      ...(taken ? { taken } : {}),
    });
    const status = new Map<string, PointStatus>();
    const jobs: PointJob[] = [];
    const changed: string[] = [];
    for (const p of plan.points) {
      const folder = join(plan.dir, p.dir);
      if (p.change === "changed") {
        changed.push(p.id);
        say(
          `${pointName(p)} changed since the last sweep (its resolved model or train is not the one trained): training it again; its previous run moves to ${showPath(folder)}.old-N`,
        );
      } else if (p.change === "unchanged" && p.previous?.status === "done") {
        status.set(p.id, "done");
        continue;
      }
      status.set(p.id, "pending");
      const mode = p.change === "unchanged" && (await hasCheckpoint(folder)) ? "resume" : "fresh";
      jobs.push({ point: p, entry: "", mode });
    }
    const skipped = plan.points.length - jobs.length;
    const fresh = plan.points.filter((p) => p.change === "new" && previous !== undefined);
    say(
      `sweep ${plan.sweep.name}: ${plan.points.length} points into ${showPath(plan.dir)}` +
        (skipped > 0 ? `, ${skipped} done already (skipped)` : "") +
        (changed.length > 0 ? `, ${changed.length} changed (${changed.join(", ")})` : "") +
        (fresh.length > 0 ? `, ${fresh.length} new (${fresh.map((p) => p.id).join(", ")})` : "") +
        (o.jobs > 1 ? `, ${o.jobs} at a time` : ""),
    );
    if (previous !== undefined) for (const line of changeLines(plan)) say(line);
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
        `${JSON.stringify({ sweep: plan.sweep.name, dir: plan.dir, points: plan.points.map((p) => ({ id: p.id, dir: p.dir, change: p.change, status: status.get(p.id) })) }, null, 2)}\n`,
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

/**
 * `--target pytorch --emit-only`: every point checked for the PyTorch target first (what it
 * cannot run is an error naming the point), then each point's package written under
 * DIR/pytorch/<point folder>/, launch.sh and sweep.sbatch beside them, and sweep.json (so `mmc
 * report DIR` renders the points once they have trained). Nothing trains.
 */
async function emitPytorchSweep(
  sweep: CheckedSweep,
  checked: { checked: CheckedProgram; sources: ReadonlyMap<string, SourceFile> },
  file: string,
  planOptions: PlanOptions,
  o: { format: "rich" | "short" | "json"; json: boolean; io: Io },
): Promise<number> {
  const { io } = o;
  const say = (line: string): void => (o.json ? io.stderr : io.stdout)(`${line}\n`);
  const dir = planSweep(sweep, file, planOptions).dir;
  const bad = badPath(dir);
  if (bad !== undefined)
    throw new RunError(`the output folder \`${showPath(dir)}\` cannot be used: ${bad}`);
  const plan = planSweep(sweep, file, { ...planOptions, ...previousOf(dir) });
  // What the target cannot run, per point, each problem once with the points it is in.
  const found = new Map<string, { d: Diagnostic; points: string[] }>();
  for (const p of plan.points)
    for (const d of checkTarget(pointProgram(checked.checked, p), "pytorch")) {
      const span = d.labels.find((l) => l.primary)?.span;
      const key = `${d.code}|${span?.file}|${span?.start}|${d.message}`;
      const at = `${p.id} (${p.labels.map((l, i) => `${plan.sweep.axes[i]!.path} = ${l}`).join(", ")})`;
      const seen = found.get(key);
      if (seen) seen.points.push(at);
      else found.set(key, { d, points: [at] });
    }
  if (found.size > 0) {
    const total = plan.points.length;
    const diagnostics = [...found.values()].map(({ d, points }) => ({
      ...d,
      notes: [
        ...d.notes,
        points.length === 1
          ? `in point ${points[0]} of \`sweep ${plan.sweep.name}\``
          : `in ${points.length === total ? "every one" : points.length} of the ${total} points of \`sweep ${plan.sweep.name}\`: ${points.slice(0, 4).join("; ")}${points.length > 4 ? `; and ${points.length - 4} more` : ""}`,
      ],
    }));
    printDiagnostics(io, diagnostics, checked.sources, o.format);
    io.stderr(
      `error: ${found.size === 1 ? "a problem stops" : `${found.size} problems stop`} the PyTorch packages of \`sweep ${escapeControls(plan.sweep.name)}\`: nothing was written\n`,
    );
    return 1;
  }
  try {
    mkdirSync(dir, { recursive: true });
    // A changed point's run, if it is here, moves aside (nothing is deleted).
    for (const p of plan.points) {
      const folder = join(dir, p.dir);
      if (p.change !== "changed" || !existsSync(folder)) continue;
      const aside = await claimAside(folder);
      for (const f of readdirSync(folder)) renameSync(join(folder, f), join(aside, f));
      say(
        `${pointName(p)} changed since the last emit (its fingerprint differs): moved its previous run to ${showPath(aside)}`,
      );
    }
    for (const p of plan.points) {
      const outDir = join(dir, PACKAGES_DIR, p.dir);
      const program = pointProgram(checked.checked, p);
      writeFiles(outDir, await generatePytorch(program, checked.sources, file, outDir));
    }
    writeFileSync(join(dir, LAUNCH_SCRIPT), launchScript(plan), { mode: 0o755 });
    chmodSync(join(dir, LAUNCH_SCRIPT), 0o755);
    writeFileSync(join(dir, SLURM_SCRIPT), slurmScript(plan));
  } catch (e) {
    if (isFsError(e))
      throw fsRunError(`cannot write the sweep's packages into \`${showPath(dir)}\``, e);
    throw e;
  }
  writeManifest(
    dir,
    buildManifest(plan, (id) => {
      const p = plan.points.find((x) => x.id === id);
      return p?.change === "unchanged" ? (p.previous?.status ?? "pending") : "pending";
    }),
  );
  await ensureCorpora(
    plan.points.map((point) => ({ point, entry: "", mode: "fresh" })),
    say,
  );
  const shown = showPath(dir);
  if (o.json) {
    io.stdout(
      `${JSON.stringify(
        {
          sweep: plan.sweep.name,
          dir,
          launch: join(dir, LAUNCH_SCRIPT),
          slurm: join(dir, SLURM_SCRIPT),
          points: plan.points.map((p, i) => ({
            id: p.id,
            task: i,
            labels: p.labels,
            dir: p.dir,
            change: p.change,
            package: join(dir, PACKAGES_DIR, p.dir),
            train: p.train.name,
          })),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  say(
    `sweep ${plan.sweep.name}: wrote ${plan.points.length} PyTorch package${plan.points.length === 1 ? "" : "s"} under ${shown}/${PACKAGES_DIR}/ (one per point), ${shown}/${LAUNCH_SCRIPT} and ${shown}/${SLURM_SCRIPT}`,
  );
  if (plan.points.some((p) => p.change !== "new") || plan.retired.length > 0)
    for (const line of changeLines(plan)) say(line);
  for (const [i, p] of plan.points.entries())
    say(`  ${i}: ${pointName(p)} -> ${escapeControls(p.dir)}`);
  say(
    `run them: \`bash ${escapeControls(shellWord(join(dir, LAUNCH_SCRIPT)))}\` (all, one after another; \`... ${LAUNCH_SCRIPT} p0\` for one), ` +
      `or on Slurm \`cd ${escapeControls(shellWord(dir))} && sbatch ${SLURM_SCRIPT}\`; then \`mmc report ${escapeControls(shellWord(dir))}\``,
  );
  return 0;
}

/** The program of one point: its train alone (what its package holds). */
function pointProgram(p: CheckedProgram, point: PlannedPoint): CheckedProgram {
  return {
    file: p.file,
    models: [],
    components: [],
    data: [point.train.data],
    trains: [point.train],
    sweeps: [],
  };
}
