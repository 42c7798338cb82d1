// Checks every name a module uses: component kinds and presets in `X { ... }`, references such as
// `model: Tiny`, bare enum words (`rms`), and flags imports that are never used.
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean, suggest } from "../diagnostics/suggest.js";
import type { Body, Name, Value } from "../syntax/ast.js";
import { COMPONENT_KINDS, ENUM_WORDS, componentKind, stdModuleOf } from "../components/registry.js";
import { BUILTIN_CALLEES, BUILTIN_WORDS, isKnownWord } from "./builtins.js";
import type { Module } from "./program.js";

/**
 * "Did you mean" is worked out for this many unknown names per file: each compares the name with
 * every name in scope, and a file with more unknown names than this is not a file of typos (only
 * 50 diagnostics are printed anyway).
 */
export const MAX_SUGGESTIONS = 50;

export function checkReferences(module: Module): Diagnostic[] {
  const out: Diagnostic[] = [];
  const used = new Set<string>();
  let suggestions = 0;
  // The candidate lists, built once per file rather than once per unknown name.
  const candidates: { callee?: string[]; word?: string[] } = {};
  const candidatesFor = (asCallee: boolean): string[] =>
    asCallee
      ? (candidates.callee ??= [...module.scope.keys(), ...BUILTIN_CALLEES])
      : (candidates.word ??= [...module.scope.keys(), ...ENUM_WORDS, ...BUILTIN_WORDS]);

  const known = (n: Name): boolean => {
    if (module.scope.has(n.text)) {
      used.add(n.text);
      return true;
    }
    return false;
  };

  const unknown = (n: Name, asCallee: boolean): void => {
    const std = componentKind(n.text) ? stdModuleOf(n.text) : undefined;
    const hinted = !std && suggestions++ < MAX_SUGGESTIONS;
    let hint = hinted ? didYouMean(n.text, candidatesFor(asCallee)) : undefined;
    if (!hint && hinted && asCallee) {
      // A misspelled kind that is not imported: suggest the kind and its import together.
      const kind = suggest(n.text, Object.keys(COMPONENT_KINDS));
      if (kind)
        hint = `did you mean \`${kind}\`? it needs \`import { ${kind} } from "${stdModuleOf(kind) ?? "std/..."}"\``;
    }
    out.push(
      diagnostic({
        code: "MM2001",
        message: `unknown name \`${n.text}\``,
        span: n.span,
        label: "not declared or imported in this file",
        help: std
          ? `add \`import { ${n.text} } from "${std}"\` at the top of the file`
          : (hint ?? "declare it in this file or import it"),
      }),
    );
  };

  const visitBody = (b: Body): void => {
    for (const m of b.members) {
      if (m.kind === "budget") for (const bound of m.bounds) visitValue(bound.value);
      else visitValue(m.value);
    }
  };

  const visitValue = (v: Value): void => {
    switch (v.kind) {
      case "name":
        if (!known(v.name) && !isKnownWord(v.name.text)) unknown(v.name, false);
        return;
      case "component":
        if (!known(v.callee) && !BUILTIN_CALLEES.has(v.callee.text)) unknown(v.callee, true);
        visitBody(v.body);
        return;
      case "apply":
        if (!known(v.callee) && !BUILTIN_CALLEES.has(v.callee.text)) unknown(v.callee, true);
        v.args.forEach(visitValue);
        return;
      case "call":
        if (!known(v.callee) && !BUILTIN_CALLEES.has(v.callee.text)) unknown(v.callee, true);
        for (const a of v.args) visitValue(a.value);
        return;
      case "weighted":
        visitValue(v.source);
        return;
      case "list":
        v.items.forEach(visitValue);
        return;
      case "record":
        visitBody(v.body);
        return;
      default:
        return;
    }
  };

  // A data block's sources name formats (`jsonl(...)`): the checker reports unknown formats
  // (MM4003) with the list of formats, so only their arguments are resolved here.
  const visitDataBody = (b: Body): void => {
    for (const m of b.members) {
      if (m.kind !== "field") continue;
      const v = m.value.kind === "weighted" ? m.value.source : m.value;
      if (v.kind === "call") for (const a of v.args) visitValue(a.value);
      else visitValue(v);
    }
  };

  // A sweep's `report` lists metric words, which the checker knows (MM5103).
  const visitSweepBody = (b: Body): void => {
    for (const m of b.members) {
      if (m.kind === "field" && m.path.length === 1 && m.path[0]!.text === "report") continue;
      if (m.kind === "budget") continue;
      visitValue(m.value);
    }
  };

  for (const d of module.ast.declarations) {
    switch (d.kind) {
      case "import":
        break;
      case "preset":
        visitValue(d.value);
        break;
      default:
        if (d.base && !known(d.base)) unknown(d.base, false);
        if (d.kind === "data") visitDataBody(d.body);
        else if (d.kind === "sweep") visitSweepBody(d.body);
        else visitBody(d.body);
    }
  }

  // Standard-library files may import for their own use only; unused imports there are harmless.
  if (!module.name.startsWith("std/")) {
    for (const d of module.ast.declarations) {
      if (d.kind !== "import") continue;
      for (const n of d.names) {
        const sym = module.scope.get(n.text);
        if (used.has(n.text) || !sym || sym.kind === "unresolved" || module.declared.has(n.text))
          continue;
        out.push(
          diagnostic({
            code: "MM2013",
            severity: "warning",
            message: `\`${n.text}\` is imported but never used`,
            span: n.span,
            help: `remove \`${n.text}\` from the import`,
          }),
        );
      }
    }
  }
  return out;
}
