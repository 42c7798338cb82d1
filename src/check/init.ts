// `init: safetensors("weights/clip", layout: hf)` on a model or one of its parts: reading the
// value, then comparing the file's header (read through the host: this stage does no I/O) with
// the parameters it should fill. Every missing, unexpected or misshapen tensor is reported.
import { posix } from "node:path";
import {
  coveredParts,
  initTable,
  type InitLayout,
  type InitPart,
  type InitScope,
} from "../components/init-names.js";
import type { Span } from "../source/source-file.js";
import type { Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import type { CheckedModel } from "./ir.js";
import { specPath } from "./paths.js";

/** One `init` as written: the file or folder, its layout, and an optional name map. */
export interface InitSource {
  /** Joined with the folder of the `.mm` file that wrote it (what the checker reads). */
  readonly path: string;
  /** That folder: the weights (and the map) must lie inside it. */
  readonly root: string;
  readonly layout: InitLayout;
  /** `map: "names.json"` (names in the file by mmc name), joined like `path`. */
  readonly map?: string;
  /** `path` and `map` as the spec wrote them: what messages name (the same in `mmc check` and
   * the editor, whose module paths are absolute). */
  readonly written: { readonly path: string; readonly map?: string };
  /** The whole `init` value, where its diagnostics point. */
  readonly span: Span;
}

/** What the checker found in an `init`'s file(s): for `mmc info` and the run's first lines. */
export interface InitFacts {
  readonly files: readonly string[];
  readonly tensors: number;
  /** Dtypes widened to fp32, with how many tensors each. */
  readonly converted: Readonly<Record<string, number>>;
}

export interface WeightsHeaderTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
}

export type WeightsProblem = "missing" | "outside" | "header" | "index" | "map";

export type WeightsHeader =
  | {
      readonly ok: true;
      readonly files: readonly string[];
      readonly tensors: ReadonlyMap<string, WeightsHeaderTensor>;
    }
  | { readonly ok: false; readonly problem: WeightsProblem; readonly message: string };

export type NameMapResult =
  | { readonly ok: true; readonly map: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly problem: WeightsProblem; readonly message: string };

/** The file-system half, given by the CLI (src/runtime/checkpoint/weights-files.ts). */
export interface WeightsReader {
  header(path: string, root: string): WeightsHeader;
  nameMap(path: string, root: string): NameMapResult;
}

const EXAMPLE = 'init: safetensors("weights/clip.safetensors", layout: hf)';
const LAYOUTS: readonly InitLayout[] = ["mmc", "hf"];

/** Reads an `init` value; undefined after reporting what is wrong with it (MM9001). */
export function readInit(ctx: CheckContext, v: Value, fromFile: string): InitSource | undefined {
  if (v.kind === "error") return undefined;
  const bad = (message: string, span: Span, help = `write \`${EXAMPLE}\``): undefined => {
    ctx.report({ code: "MM9001", message, span, help });
    return undefined;
  };
  if (v.kind !== "call" || v.callee.text !== "safetensors")
    return bad(`\`init\` must be \`safetensors("PATH", ...)\`, not ${describeValue(v)}`, v.span);
  const [first, ...named] = v.args;
  if (!first || first.name || first.value.kind !== "string")
    return bad("`safetensors(...)` takes the path of a file or folder first", v.span);
  let layout: InitLayout = "mmc";
  let map: string | undefined;
  let writtenMap: string | undefined;
  for (const a of named) {
    const key = a.name?.text;
    if (key === "layout") {
      const word = a.value.kind === "name" ? a.value.name.text : undefined;
      if (word !== "mmc" && word !== "hf")
        return bad(
          `\`layout\` is \`mmc\` or \`hf\`, not ${describeValue(a.value)}`,
          a.value.span,
          "write `layout: hf` for Hugging Face's names and PyTorch's layout, or `layout: mmc` for mmc's",
        );
      layout = word;
    } else if (key === "map") {
      if (a.value.kind !== "string")
        return bad(
          `\`map\` is the path of a JSON file, not ${describeValue(a.value)}`,
          a.value.span,
        );
      const joined = specPath(ctx, a.value, fromFile, "the name map");
      if (joined === undefined) return undefined;
      if (!insideFolder(a.value.value))
        return outside(ctx, a.value.span, "the name map", a.value.value);
      map = joined;
      writtenMap = a.value.value;
    } else {
      return bad(
        key
          ? `\`safetensors(...)\` has no argument \`${key}\``
          : "`safetensors(...)` takes one path; the rest are `layout:` or `map:`",
        a.span,
        `its arguments are the path, \`layout: ${LAYOUTS.join(" | ")}\` and \`map: "names.json"\``,
      );
    }
  }
  const path = specPath(ctx, first.value, fromFile, "the weights path");
  if (path === undefined) return undefined;
  if (!insideFolder(first.value.value))
    return outside(ctx, first.value.span, "the weights path", first.value.value);
  return {
    path,
    root: posix.dirname(fromFile),
    layout,
    ...(map !== undefined ? { map } : {}),
    written: {
      path: first.value.value,
      ...(writtenMap !== undefined ? { map: writtenMap } : {}),
    },
    span: v.span,
  };
}

/** Whether a relative path stays inside its folder when `..` segments are applied. */
function insideFolder(path: string): boolean {
  const n = posix.normalize(path);
  return n !== ".." && !n.startsWith("../");
}

function outside(ctx: CheckContext, span: Span, what: string, path: string): undefined {
  ctx.report({
    code: "MM9003",
    message: `${what} \`${path}\` leads outside the spec's folder`,
    span,
    notes: [
      "weights and name maps are read only from the folder of the `.mm` file that names them",
    ],
    help: "copy or hard-link the files into the spec's folder, and write the path from there",
  });
  return undefined;
}

/** One `init` of a checked model; `facts` is set once its files were read and fit. */
export interface CheckedInit {
  readonly scope: InitScope;
  readonly source: InitSource;
  facts?: InitFacts;
}

/** How many tensor names a list diagnostic shows; the rest are counted. */
const SHOWN = 8;

function listNotes(lines: readonly string[]): string[] {
  const shown = lines.slice(0, SHOWN);
  return lines.length > SHOWN ? [...shown, `and ${lines.length - SHOWN} more`] : shown;
}

const shape = (s: readonly number[]) => `[${s.join(", ")}]`;

/**
 * Reads each `init`'s header through `reader` and reports what does not fit the model's
 * parameters; sets the facts of the `init`s that fit (for `mmc info` and the run).
 */
export function checkInits(ctx: CheckContext, model: CheckedModel, reader: WeightsReader): void {
  const inits = model.init ?? [];
  const partNames = (["vision", "connector", "llm"] as const).filter((p) => model.parts[p]);
  const scopes = inits.map((i) => i.scope);
  for (const init of inits) {
    if (init.facts) continue;
    const { scope, source: src } = init;
    const covered = coveredParts(scope, partNames, scopes);
    const parts: InitPart[] = covered.flatMap((p) => {
      const summary = model.summary.parts[p];
      return summary
        ? [{ part: p, kind: summary.kind, config: summary.config, manifest: summary.manifest }]
        : [];
    });
    const header = reader.header(src.path, src.root);
    if (!header.ok) {
      reportRead(ctx, src, header.problem, header.message);
      continue;
    }
    let map: ReadonlyMap<string, string> | undefined;
    if (src.map !== undefined) {
      const m = reader.nameMap(src.map, src.root);
      if (!m.ok) {
        reportRead(ctx, src, m.problem, m.message);
        continue;
      }
      map = m.map;
    }
    const table = initTable(scope, parts, src.layout, map);
    const where = `\`${src.written.path}\``;
    const mapped = src.layout !== "mmc" || src.map !== undefined;
    const both = (mmc: string, file: string) =>
      mapped ? `\`${file}\` (mmc's \`${mmc}\`)` : `\`${file}\``;
    const missing: string[] = [];
    const misshapen: string[] = [];
    const badDtype: string[] = [];
    const converted: Record<string, number> = {};
    const taken = new Set<string>();
    for (const e of table.expected) {
      const t = header.tensors.get(e.file);
      taken.add(e.file);
      if (!t) {
        missing.push(`${both(e.mmc, e.file)} ${shape(e.fileShape)}`);
        continue;
      }
      if (t.shape.length !== e.fileShape.length || t.shape.some((d, i) => d !== e.fileShape[i]))
        misshapen.push(
          `${both(e.mmc, e.file)} is ${shape(t.shape)} in the file; the model's is ${shape(e.fileShape)}`,
        );
      if (t.dtype === "BF16" || t.dtype === "F16")
        converted[t.dtype] = (converted[t.dtype] ?? 0) + 1;
      else if (t.dtype !== "F32") badDtype.push(`${both(e.mmc, e.file)} is ${t.dtype}`);
    }
    const unexpected = [...header.tensors.entries()]
      .filter(([name]) => !taken.has(name) && table.isOurs(name))
      .map(([name, t]) => `\`${name}\` ${shape(t.shape)}`);
    const scopeText = scope === "model" ? `\`model ${model.name}\`` : `\`${scope}\``;
    let broken = false;
    if (table.unmapped.length > 0) {
      broken = true;
      ctx.report({
        code: "MM9014",
        message: `the name map gives no file name for ${count(table.unmapped.length, "parameter")} of ${scopeText}`,
        span: src.span,
        notes: listNotes(table.unmapped.map((n) => `\`${n}\``)),
        help: 'add an entry `"MMC-NAME": "NAME-IN-FILE"` for each',
      });
    }
    if (table.unknownKeys.length > 0) {
      broken = true;
      ctx.report({
        code: "MM9013",
        message: `the name map names ${count(table.unknownKeys.length, "tensor")} that ${scopeText} does not have`,
        span: src.span,
        notes: listNotes(table.unknownKeys.map((n) => `\`${n}\``)),
        help: `the map's keys are mmc's names ${scope === "model" ? "(`llm.layers.0.attn.q.weight`)" : "relative to the part (`layers.0.attn.q.weight`)"}; fix or remove these`,
      });
    }
    if (missing.length > 0) {
      broken = true;
      ctx.report({
        code: "MM9007",
        message: `${where} lacks ${count(missing.length, "tensor")} of ${scopeText}`,
        span: src.span,
        notes: listNotes(missing),
        help:
          src.layout === "hf" && !src.map
            ? "check that the file is the kind's Hugging Face checkpoint (docs/language.md lists the names), or give a name map"
            : "point `init` at a file written for this model, or give a name map",
      });
    }
    if (misshapen.length > 0) {
      broken = true;
      ctx.report({
        code: "MM9009",
        message: `${count(misshapen.length, "tensor")} in ${where} ${misshapen.length === 1 ? "has" : "have"} another shape than ${scopeText}'s`,
        span: src.span,
        notes: listNotes(misshapen),
        help: "make the part's fields match the checkpoint's configuration (width, depth, heads, mlp, vocab)",
      });
    }
    if (badDtype.length > 0) {
      broken = true;
      ctx.report({
        code: "MM9010",
        message: `${count(badDtype.length, "tensor")} in ${where} ${badDtype.length === 1 ? "has a dtype" : "have dtypes"} mmc does not read`,
        span: src.span,
        notes: listNotes(badDtype),
        help: "convert the file to F32, BF16 or F16 (in PyTorch: `tensor.float()` before saving)",
      });
    }
    if (unexpected.length > 0)
      ctx.report({
        code: "MM9008",
        severity: "warning",
        message: `${where} holds ${count(unexpected.length, "tensor")} that ${scopeText} has no parameter for; ${unexpected.length === 1 ? "it is" : "they are"} not read`,
        span: src.span,
        notes: listNotes(unexpected),
        help: "if these should be read, check the part's fields (a tied head, biases, norms) or the layout",
      });
    const conv = Object.entries(converted);
    if (conv.length > 0)
      ctx.report({
        code: "MM9011",
        severity: "warning",
        message: `${where} holds ${conv.map(([d, n]) => `${count(n, `${d} tensor`)}`).join(" and ")}, widened to fp32 when loaded`,
        span: src.span,
        notes: ["widening is exact: every bf16 and fp16 value is an fp32 value"],
        help: "nothing to do; convert the file to F32 to silence this",
      });
    if (!broken) init.facts = { files: header.files, tensors: table.expected.length, converted };
  }
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

const READ_CODES: Record<WeightsProblem, string> = {
  missing: "MM9002",
  outside: "MM9003",
  header: "MM9004",
  index: "MM9005",
  map: "MM9006",
};

const READ_HELP: Record<WeightsProblem, string> = {
  missing:
    "check the path: it is relative to the spec's folder, a `.safetensors` file or a folder with `model.safetensors.index.json` or `model.safetensors`",
  outside: "copy or hard-link the files into the spec's folder",
  header: "the file is not a well-formed safetensors file: download or write it again",
  index:
    'the folder\'s `model.safetensors.index.json` must be `{"weight_map": {TENSOR: SHARD-FILE}}` with shard files beside it',
  map: 'the name map must be a JSON object of strings, `{"MMC-NAME": "NAME-IN-FILE"}`',
};

function reportRead(
  ctx: CheckContext,
  src: InitSource,
  problem: WeightsProblem,
  message: string,
): void {
  // The reader names the files it was given (joined with the spec's folder): name them as written.
  let text = message;
  if (src.map !== undefined && src.written.map !== undefined)
    text = text.split(src.map).join(src.written.map);
  text = text.split(src.path).join(src.written.path);
  ctx.report({
    code: READ_CODES[problem],
    message: text,
    span: src.span,
    help: READ_HELP[problem],
  });
}
