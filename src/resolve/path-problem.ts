// Paths written in a spec (imports, data sources, checkpoint folders) may not hold a NUL byte or
// another control character: no file name can hold NUL, and the others are never meant (they
// come from a stray escape such as `\0` or from pasted terminal output). MM2017.
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { StringValue } from "../syntax/ast.js";

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** MM2017 for a path string with a control character, pointing at the string. */
export function pathProblem(v: StringValue, what = "this path"): Diagnostic | undefined {
  const m = CONTROL.exec(v.value);
  if (!m) return undefined;
  const code = m[0].charCodeAt(0);
  const name = `the control character U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  return diagnostic({
    code: "MM2017",
    message:
      code === 0
        ? `${what} holds a NUL byte, which no file name can hold`
        : `${what} holds ${name}, which mmc does not allow in a path`,
    span: v.span,
    label: code === 0 ? "a `\\0` or a raw NUL is in here" : "a control character is in here",
    help: "remove it from the path",
  });
}
