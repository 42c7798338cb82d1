// Paths a spec writes for the run (data sources, the tokenizer, the synthetic corpus, checkpoint
// folders) are relative to the spec's folder: generated code finds them from there, so a spec and
// its files move together. An absolute path (or `~`, which nothing expands) is refused (MM2016)
// rather than silently read as `<spec folder>/etc`; control characters are refused too (MM2017).
import { posix } from "node:path";
import { pathProblem } from "../resolve/path-problem.js";
import type { StringValue } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";

/**
 * The path as written, joined to the folder of `fromFile`, or undefined after reporting why it
 * cannot be used. `what` names it in messages, backticks included: "`checkpoint.dir`".
 */
export function specPath(
  ctx: CheckContext,
  v: StringValue,
  fromFile: string,
  what: string,
): string | undefined {
  const control = pathProblem(v, what);
  if (control) {
    ctx.report({
      code: control.code,
      message: control.message,
      span: v.span,
      ...(control.labels[0]?.message ? { label: control.labels[0].message } : {}),
      ...(control.help ? { help: control.help } : {}),
    });
    return undefined;
  }
  const home = v.value === "~" || v.value.startsWith("~/");
  if (posix.isAbsolute(v.value) || /^[A-Za-z]:[\\/]/.test(v.value) || home) {
    ctx.report({
      code: "MM2016",
      message: home
        ? `${what} starts with \`~\`, which is not expanded: paths in a spec are relative to its folder`
        : `${what} is an absolute path: paths in a spec are relative to its folder`,
      span: v.span,
      label: home ? "this would be a folder named `~`" : "absolute",
      notes: [
        "the generated code finds every file from the spec's folder, so that a spec and its files move together",
      ],
      help: "write a path relative to the spec's folder; for files elsewhere, link them in (`ln -s /scratch/runs runs`)",
    });
    return undefined;
  }
  return posix.join(posix.dirname(fromFile), v.value);
}
