// Inlay hints: the fields the checker inferred, shown after the component they belong to
// (`connector: AvgPool { tokens: 16 }` gets `in: 64, out: 128`), for the parts of checked models
// and for presets that need no neighbours to resolve.
import type { CheckedProgram } from "../check/ir.js";
import type { Config } from "../components/types.js";
import { pathText, type SourceAst, type Value } from "../syntax/ast.js";
import { showValue } from "./schema.js";

export interface Hint {
  /** Offset the hint is drawn at (after the component). */
  readonly offset: number;
  readonly label: string;
  readonly tooltip: string;
}

export function inferredHints(ast: SourceAst, checked: CheckedProgram | undefined): Hint[] {
  if (!checked) return [];
  const out: Hint[] = [];
  const add = (v: Value, inferred: Readonly<Record<string, string>>, config: Config) => {
    const entries = Object.entries(inferred).filter(([f]) => config[f] !== undefined);
    if (entries.length === 0) return;
    out.push({
      offset: v.span.end,
      label: entries.map(([f]) => `${f}: ${showValue(config[f]!)}`).join(", "),
      tooltip: entries
        .map(([f, from]) => `${f} is inferred from ${from.replace(/`/g, "")}`)
        .join("\n"),
    });
  };
  for (const d of ast.declarations) {
    if (d.kind === "preset") {
      const c = checked.components.find((x) => x.name === d.name.text);
      // A preset alone resolves against stand-ins for missing neighbours: those values would mislead.
      if (c && c.summary.assumed.length === 0) add(d.value, c.summary.inferred, c.summary.config);
      continue;
    }
    if (d.kind !== "model") continue;
    const m = checked.models.find((x) => x.name === d.name.text);
    if (!m) continue;
    for (const member of d.body.members) {
      if (member.kind !== "field") continue;
      const part = pathText(member.path);
      if (part !== "vision" && part !== "connector" && part !== "llm") continue;
      const p = m.summary.parts[part];
      if (p && (member.value.kind === "component" || member.value.kind === "name"))
        add(member.value, p.inferred, p.config);
    }
  }
  return out;
}
