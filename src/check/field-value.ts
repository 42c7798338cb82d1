// Turning one written value into a `ConfigValue` for a field of known type, with a precise
// diagnostic (naming the field and what was found) when the value has the wrong form.
import { describeType } from "../components/fields.js";
import type { ConfigValue, FieldSpec, FieldType, MlpFn } from "../components/types.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";

/** How a value is described in "found ..." phrases. */
export function describeValue(v: Value): string {
  switch (v.kind) {
    case "number":
      return v.unit === "percent"
        ? `the percentage \`${v.text}\``
        : v.unit === "bytes"
          ? `the byte size \`${v.text}\``
          : `the number \`${v.text}\``;
    case "ratio":
      return `the ratio \`${v.text}\``;
    case "string":
      return "a string";
    case "bool":
      return `\`${v.value}\``;
    case "name":
      return `the name \`${v.name.text}\``;
    case "component":
      return `\`${v.callee.text} { ... }\``;
    case "apply":
      return `\`${v.callee.text}[...]\``;
    case "call":
      return `\`${v.callee.text}(...)\``;
    case "weighted":
      return "a weighted source";
    case "list":
      return "a list";
    case "record":
      return "a record `{ ... }`";
    case "error":
      return "an unreadable value";
  }
}

function example(t: FieldType): string {
  switch (t.kind) {
    case "int":
      return "16";
    case "number":
      return "0.5";
    case "bool":
      return "true";
    case "enum":
      return t.words[0] ?? "x";
    case "string":
      return '"text"';
    case "mlp":
      return `${t.fns[0] ?? "gelu"}(3072)`;
    case "component":
      return `${t.component} { }`;
    case "list":
      return "[1, 2]";
    case "image":
      return "Image[3, 224, 224]";
  }
}

/** "write `rope` without quotes" when a string holds exactly what the field wants as a word or number. */
function unquoteHint(t: FieldType, text: string): string | undefined {
  const fits =
    (t.kind === "enum" && t.words.includes(text)) ||
    (t.kind === "bool" && (text === "true" || text === "false")) ||
    ((t.kind === "int" || t.kind === "number") && /^\d+(\.\d+)?$/.test(text)) ||
    (t.kind === "int" && t.words?.includes(text) === true);
  return fits ? `write \`${text}\` without quotes` : undefined;
}

/**
 * The value of a primitive (non-component) field, or undefined after reporting why not.
 * Range checks are the caller's (components' `checkFieldValue`), since they need the whole field.
 */
export function primitiveValue(
  ctx: CheckContext,
  spec: FieldSpec,
  path: string,
  v: Value,
): ConfigValue | undefined {
  if (v.kind === "error") return undefined;
  const t = spec.type;
  const wrong = (extraHelp?: string): undefined => {
    const hint =
      v.kind === "name" && t.kind === "enum"
        ? didYouMean(v.name.text, t.words)
        : v.kind === "string"
          ? unquoteHint(t, v.value)
          : undefined;
    ctx.report({
      code: "MM2009",
      message: `\`${path}\` must be ${describeType(t)}, not ${describeValue(v)}`,
      span: v.span,
      label: `expected ${describeType(t)}`,
      help:
        hint ??
        extraHelp ??
        `write something like \`${path.split(".").pop() ?? path}: ${example(t)}\``,
    });
    return undefined;
  };
  switch (t.kind) {
    case "int":
    case "number":
      if (v.kind === "name" && t.kind === "int" && t.words?.includes(v.name.text))
        return v.name.text;
      if (v.kind !== "number" || Number.isNaN(v.value))
        return v.kind === "number" ? undefined : wrong();
      if (v.unit === "percent" || v.unit === "bytes")
        return wrong(`write a plain number, e.g. \`${example(t)}\``);
      return v.value;
    case "bool":
      return v.kind === "bool" ? v.value : wrong();
    case "enum":
      return v.kind === "name" && t.words.includes(v.name.text) ? v.name.text : wrong();
    case "string":
      return v.kind === "string" ? v.value : wrong();
    case "mlp": {
      if (v.kind === "number" && t.plain && v.unit !== "percent" && v.unit !== "bytes")
        return v.value;
      if (v.kind !== "call") return wrong();
      const fn = v.callee.text;
      if (!(t.fns as readonly string[]).includes(fn)) {
        return wrong(
          didYouMean(fn, t.fns) ?? `use ${t.fns.map((f) => `\`${f}(N)\``).join(" or ")}`,
        );
      }
      const arg = v.args[0];
      if (v.args.length !== 1 || !arg || arg.name || arg.value.kind !== "number") {
        ctx.report({
          code: "MM2009",
          message: `\`${fn}\` takes one argument, the hidden width`,
          span: v.span,
          help: `write \`${fn}(3072)\``,
        });
        return undefined;
      }
      return { fn: fn as MlpFn, hidden: arg.value.value };
    }
    case "list": {
      if (v.kind !== "list") return wrong();
      const items: number[] = [];
      for (const item of v.items) {
        if (item.kind !== "number") return wrong();
        items.push(item.value);
      }
      return items;
    }
    case "image": {
      // Whole positive numbers here; the size limits are `checkFieldValue`'s, as for every field.
      const dims = v.kind === "apply" && v.callee.text === "Image" ? v.args : undefined;
      if (!dims || dims.length !== 3) return wrong();
      const out: number[] = [];
      for (const d of dims) {
        if (d.kind !== "number" || !Number.isInteger(d.value) || d.value < 1 || d.unit !== "none")
          return wrong();
        out.push(d.value);
      }
      return out;
    }
    case "component":
      throw new Error("internal: component fields are evaluated by component-value.ts");
  }
}
