// Writes realistic run and sweep folders for the report tests: metrics.jsonl records as
// src/runtime/run/driver.ts writes them (a step record every step, an eval record every
// `evalEvery` steps and at the end), and a sweep.json whose points and derived numbers come from
// the checker on examples/tiny.mm's `connectors` sweep. Seeded, so every run of a test sees the
// same numbers.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkFile } from "../../src/pipeline.js";
import { fileHost } from "../../src/cli/host.js";
import type { SweepManifest, SweepManifestPoint } from "../../src/report/sweep-format.js";

/** Strings a spec, sweep.json or metrics file could hold, meant to break out of their place. */
export const HOSTILE = [
  "<script>window.__pwned = 1</script>",
  `"><img src=x onerror="window.__pwned = 2">`,
  "' onmouseover='window.__pwned = 3",
  "&amp; &lt;already&gt; escaped",
  "</title></style></table><plaintext>",
  "<![CDATA[ ]]> <!-- comment -->",
  "a | b | c",
  "**bold** _em_ `code` [link](javascript:alert(1)) ~~gone~~",
  "line one\nline two\r\nline three",
  "\u001b[31mred\u001b[0m \u009b2J",
];

/** mulberry32: a small seeded generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RunOptions {
  steps?: number;
  evalEvery?: number;
  seed?: number;
  /** The loss the run decays towards. */
  floor?: number;
  /** Add few-shot eval_task records at each evaluation. */
  tasks?: boolean;
  /** Add MoE expert_load fields to the step records. */
  moe?: boolean;
}

export interface StepLine {
  type: "step";
  step: number;
  loss: number;
  cross_entropy: number;
  lr: number;
  grad_norm: number;
  tokens_per_second: number;
  step_seconds: number;
  sources: Record<string, number>;
  expert_load?: number[][];
  expert_dropped?: number[];
}

/** The records of one run, as objects (the test computes expectations from these). */
export function runRecords(o: RunOptions = {}): object[] {
  const steps = o.steps ?? 120;
  const evalEvery = o.evalEvery ?? 40;
  const rand = rng(o.seed ?? 1);
  const floor = o.floor ?? 2.2;
  const peak = 3e-3;
  const warmup = Math.max(1, Math.round(steps / 50));
  const out: object[] = [];
  const sources = { caption: 0, interleaved: 0, text: 0 };
  for (let step = 1; step <= steps; step++) {
    const lr =
      step <= warmup
        ? (peak * step) / warmup
        : peak *
          (0.1 + 0.45 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup))));
    const ce = floor + 3.4 * Math.exp(-step / (steps / 5)) + (rand() - 0.5) * 0.12;
    const aux = o.moe ? 0.012 + rand() * 0.002 : 0;
    sources.caption += 6;
    sources.interleaved += 1;
    sources.text += 1;
    const seconds = 0.35 + rand() * 0.05 + (step === 1 ? 2.5 : 0);
    const rec: StepLine = {
      type: "step",
      step,
      loss: ce + aux,
      cross_entropy: ce,
      lr,
      grad_norm: 0.4 + rand() * 0.8,
      tokens_per_second: 1024 / seconds,
      step_seconds: seconds,
      sources: { ...sources },
      ...(o.moe
        ? {
            expert_load: [[0.27, 0.24, 0.26, 0.23]],
            expert_dropped: [0.01],
          }
        : {}),
    };
    out.push(rec);
    if (step % evalEvery === 0 || step === steps) {
      const loss = floor + 0.3 + 3 * Math.exp(-step / (steps / 5));
      const acc = Math.min(0.95, 0.2 + (2.9 - floor) * (1 - Math.exp(-step / (steps / 3))));
      out.push({
        type: "eval",
        step,
        caption_loss: loss,
        caption_accuracy: acc,
        caption_loss_shuffled_images: loss + 0.4,
        caption_accuracy_shuffled_images: acc - 0.08,
        targets: 2048,
      });
      if (o.tasks) {
        for (const shots of [0, 4])
          out.push({
            type: "eval_task",
            step,
            task: "coco",
            shots,
            metric: "cider",
            value: 10 + step / 4 + shots,
          });
        out.push({
          type: "eval_task",
          step,
          task: "vqav2",
          shots: 0,
          metric: "accuracy",
          value: acc / 2,
        });
      }
    }
  }
  return out;
}

export function writeRun(dir: string, o: RunOptions & { extra?: string } = {}): object[] {
  mkdirSync(dir, { recursive: true });
  const records = runRecords(o);
  writeFileSync(
    join(dir, "metrics.jsonl"),
    records.map((r) => JSON.stringify(r)).join("\n") + "\n" + (o.extra ?? ""),
  );
  return records;
}

export interface SweepOptions {
  /** Status per point, by index; default all done. */
  statuses?: SweepManifestPoint["status"][];
  /** Replace the first axis's labels (e.g. with hostile strings). */
  labels?: string[];
  name?: string;
  steps?: number;
  report?: string[];
}

/** The `connectors` sweep of examples/tiny.mm as the checker sees it: axes, labels, derived. */
export function tinySweep(): {
  axes: SweepManifest["axes"];
  points: { labels: string[]; derived: Record<string, number> }[];
} {
  const r = checkFile("examples/tiny.mm", fileHost);
  const sweep = r.checked?.sweeps.find((s) => s.name === "connectors");
  if (!sweep) throw new Error("examples/tiny.mm has no `connectors` sweep");
  return {
    axes: sweep.axes.map((a) => ({ path: a.path, labels: [...a.labels] })),
    points: sweep.points.map((p) => {
      const s = p.train.model.summary;
      return {
        labels: [...p.labels],
        derived: {
          params: s.params,
          active_params: s.activeParams,
          image_tokens: s.imageTokens,
          flops_per_token: s.flopsPerToken,
          train_memory: p.train.memory.total,
        },
      };
    }),
  };
}

function slug(labels: readonly string[]): string {
  return labels
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

/** Writes a sweep folder: sweep.json and a run folder per point that has started. */
export function writeSweep(dir: string, o: SweepOptions = {}): SweepManifest {
  const base = tinySweep();
  const axes = base.axes.map((a, i) => (i === 0 && o.labels ? { ...a, labels: o.labels } : a));
  const points = base.points.map((p, i): SweepManifestPoint => {
    const labels = p.labels.map((l, j) =>
      j === 0 && o.labels ? o.labels[base.axes[0]!.labels.indexOf(l)]! : l,
    );
    const id = `p${i}`;
    return {
      id,
      labels,
      dir: `${id}-${slug(labels)}`,
      status: o.statuses?.[i] ?? "done",
      fingerprint: `sha256:${(i * 2654435761).toString(16).padStart(16, "0")}`,
      derived: p.derived,
    };
  });
  const manifest: SweepManifest = {
    format: 1,
    sweep: o.name ?? "connectors",
    spec: "examples/tiny.mm",
    axes,
    report: o.report ?? ["loss", "caption_accuracy", "params"],
    points,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "sweep.json"), JSON.stringify(manifest, null, 2) + "\n");
  points.forEach((p, i) => {
    if (p.status === "pending") return;
    const steps = o.steps ?? 120;
    writeRun(join(dir, p.dir), {
      seed: 10 + i,
      steps: p.status === "running" ? Math.round(steps / 2) : steps,
      floor: 2 + 0.1 * i,
    });
  });
  return manifest;
}
