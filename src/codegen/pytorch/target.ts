// What the PyTorch target cannot run, found at compile time: each is a diagnostic at the spec's
// own words that names the target, never a silent difference between the two targets.
import type { CheckedData, CheckedModel, CheckedProgram } from "../../check/ir.js";
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

/** The tiled models the package would build, declared or a train's, once per `tiles` written. */
function tiledModels(p: CheckedProgram): CheckedModel[] {
  const seen = new Set<CheckedModel["span"]>();
  const out: CheckedModel[] = [];
  for (const m of [...p.models, ...p.trains.map((t) => t.model)]) {
    const span = m.spans.tiles;
    if (span === undefined || seen.has(span)) continue;
    seen.add(span);
    out.push(m);
  }
  return out;
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
  for (const t of p.trains) {
    if (t.init)
      out.push(
        diagnostic({
          code: "MM6020",
          message: `the \`pytorch\` target cannot start \`train ${t.name}\` from \`train ${t.init.train}\`'s checkpoint`,
          span: t.init.span ?? t.span,
          label: "`init: <train>`",
          notes: [
            "its train.py does not yet load another train's weights, nor upcycle MoE experts; it would start from random weights",
          ],
          help: "compile with `--target typescript`, whose runtime runs the stages, or remove `init` to train from scratch",
        }),
      );
    if (t.freeze)
      out.push(
        diagnostic({
          code: "MM6021",
          message: `the \`pytorch\` target cannot freeze parts of \`train ${t.name}\``,
          span: t.freeze.span ?? t.span,
          label: "`freeze`",
          notes: ["its train.py trains every parameter; it would not leave these as they are"],
          help: "compile with `--target typescript`, whose runtime freezes them, or remove `freeze`",
        }),
      );
  }
  // model.py and data.py do not cut images into crops yet (issue 15): refused, never ignored
  for (const m of tiledModels(p)) {
    if (m.tiles === undefined || m.spans.tiles === undefined) continue;
    out.push(
      diagnostic({
        code: "MM6010",
        message: `the \`pytorch\` target cannot run the \`tiles\` of \`model ${m.name}\``,
        span: m.spans.tiles,
        label: "high-resolution sub-images",
        notes: [
          "the PyTorch data pipeline and model read one encoder input per image; cutting images into crops is in the TypeScript runtime only",
        ],
        help: "compile with `--target typescript`, or remove `tiles` (each image is then one centred square crop)",
      }),
    );
  }
  return out;
}
