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
    const chat = d.sources.filter((s) => s.kind === "conversation");
    if (chat.length > 0 && d.span !== undefined) {
      const names = chat.map((s) => `\`${s.name}\``).join(", ");
      out.push(
        diagnostic({
          code: "MM6025",
          message: `the \`pytorch\` target cannot read the conversation source${chat.length === 1 ? "" : "s"} ${names} of \`data ${d.name}\``,
          span: d.span,
          label: "a mixture with conversation data",
          notes: [
            "the PyTorch data pipeline (`data.py`) has no reader for conversation JSONL and no prompt masking yet",
          ],
          help: "train this mixture with `--target typescript`, or leave the conversation sources out of it",
        }),
      );
    }
  }
  return out;
}
