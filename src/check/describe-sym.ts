// How a declaration is named in messages ("an `encoder` preset", "a `model`"), so that every
// "wrong kind of declaration" diagnostic words the same idea the same way.
import type { Sym } from "../resolve/program.js";

export function describeSym(sym: Sym): string {
  if (sym.decl?.kind === "preset") {
    const role = sym.decl.role;
    return `${/^[aeiou]/.test(role) ? "an" : "a"} \`${role}\` preset`;
  }
  if (sym.kind === "kind") return "a component kind";
  return sym.kind === "data" ? "a `data` mixture" : `a \`${sym.kind}\``;
}
