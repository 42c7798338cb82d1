// What the PyTorch target cannot run, found at compile time: each is a diagnostic at the spec's
// own words that names the target, never a silent difference between the two targets.
import type { CheckedData, CheckedProgram } from "../../check/ir.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/diagnostic.js";

/** The targets `mmc compile --target` knows. */
export const TARGETS = ["typescript", "pytorch"] as const;
export type Target = (typeof TARGETS)[number];

/** Every mixture the package would read: those declared and those trains use. */
function mixtures(p: CheckedProgram): CheckedData[] {
  const byName = new Map<string, CheckedData>();
  for (const d of [...p.data, ...p.trains.map((t) => t.data)])
    if (!byName.has(d.name)) byName.set(d.name, d);
  return [...byName.values()];
}

/** Diagnostics for the features of `p` that `target` cannot run (none for TypeScript). */
export function checkTarget(p: CheckedProgram, target: Target): Diagnostic[] {
  if (target === "typescript") return [];
  const out: Diagnostic[] = [];
  for (const d of mixtures(p)) {
    const span = d.spans?.tokenizer ?? d.span;
    if (d.tokenizer.kind === "bpe" && span !== undefined) {
      out.push(
        diagnostic({
          code: "MM6001",
          message: `the \`pytorch\` target cannot run the \`bpe\` tokenizer of \`data ${d.name}\``,
          span,
          label: "a BPE tokenizer file",
          notes: [
            "the PyTorch data pipeline has byte tokens only: Hugging Face's `tokenizers` package is not available to it",
          ],
          help: "write `tokenizer: bytes` (and a `vocab` of at least 260), or compile with `--target typescript`",
        }),
      );
    }
  }
  // The benchmark tasks need generation and the captioning/VQA metrics, which train.py lacks:
  // refused, never skipped (the held-out loss of `eval` does run).
  for (const t of p.trains) {
    const tasks = t.eval.tasks ?? [];
    if (tasks.length === 0) continue;
    out.push(
      diagnostic({
        code: "MM6021",
        message: `the \`pytorch\` target cannot score the benchmark tasks (${tasks.map((k) => `\`${k.name}\``).join(", ")}) of \`train ${t.name}\``,
        span: t.eval.tasksSpan ?? t.span,
        label: "few-shot benchmark tasks",
        notes: [
          "train.py computes the held-out loss of `eval` only: generating answers and the captioning and VQA metrics are in the TypeScript runtime",
        ],
        help: "remove the `captioning` and `vqa` tasks from `eval` (and score checkpoints with `mmc eval`), or compile with `--target typescript`",
      }),
    );
  }
  return out;
}
