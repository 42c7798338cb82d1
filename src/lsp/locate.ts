// What is under the cursor: a declaration's name, a name that refers to one, a field name (with
// the bodies it is in), a budget quantity or an import's module path.
import type { Bound, Field, ImportDecl, Name, SourceAst } from "../syntax/ast.js";
import { contains, walkDeclarations, type Frame, type NamedDecl, type RefRole } from "./walk.js";

export type Hit =
  | { readonly t: "decl-name"; readonly decl: NamedDecl; readonly name: Name }
  | {
      readonly t: "ref";
      readonly name: Name;
      readonly role: RefRole;
      readonly frames: readonly Frame[];
      /** The field path of the value the name is in. */
      readonly path: readonly string[];
    }
  | {
      readonly t: "field";
      readonly field: Field;
      readonly name: Name;
      /** Full path from the declaration up to and including the segment under the cursor. */
      readonly path: readonly string[];
      /** How many segments of `field.path` lead up to and include the one under the cursor. */
      readonly depth: number;
      readonly frames: readonly Frame[];
    }
  | { readonly t: "bound"; readonly bound: Bound; readonly frames: readonly Frame[] }
  | { readonly t: "import-from"; readonly decl: ImportDecl };

export function locate(ast: SourceAst, offset: number): Hit | undefined {
  let hit: Hit | undefined;
  const at = (n: Name) => hit === undefined && contains(n.span, offset);
  walkDeclarations(ast.declarations, {
    decl(d) {
      if (d.kind === "import") {
        if (hit === undefined && contains(d.from.span, offset)) hit = { t: "import-from", decl: d };
      } else if (at(d.name)) hit = { t: "decl-name", decl: d, name: d.name };
    },
    ref(name, role, frames, path) {
      if (at(name)) hit = { t: "ref", name, role, frames, path };
    },
    field(field, path, frames) {
      const base = path.length - field.path.length;
      field.path.forEach((name, i) => {
        if (at(name))
          hit = {
            t: "field",
            field,
            name,
            path: path.slice(0, base + i + 1),
            depth: i + 1,
            frames,
          };
      });
    },
    bound(bound, frames) {
      const first = bound.path[0];
      const last = bound.path[bound.path.length - 1];
      if (
        hit === undefined &&
        first &&
        last &&
        offset >= first.span.start &&
        offset <= last.span.end
      )
        hit = { t: "bound", bound, frames };
    },
  });
  return hit;
}
