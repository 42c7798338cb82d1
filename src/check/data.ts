// Checking `data` blocks: weighted sources in known formats with valid options, weights that
// add up (percentages to 100%, or plain ratios), and the packing and tokenizer settings.
import { fieldNames } from "../spec/fields.js";
import { DATA_SETTINGS } from "../spec/settings.js";
import { posix } from "node:path";
import { didYouMean, suggest } from "../diagnostics/suggest.js";
import { pathProblem } from "../resolve/path-problem.js";
import type { Module } from "../resolve/program.js";
import type { BlockDecl, Field, Value } from "../syntax/ast.js";
import { pathText } from "../syntax/ast.js";
import { LIMITS } from "../components/limits.js";
import { specPath } from "./paths.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";
import { describeSym } from "./describe-sym.js";
import type { CheckedData, CheckedSource, SourceKind } from "./ir.js";
import { checkWeights, type RawSource } from "./data-weights.js";

interface FormatSpec {
  readonly kinds: readonly SourceKind[];
  readonly options: Readonly<Record<string, "string" | "kind">>;
  readonly runtimeFormat: CheckedSource["format"];
}

const FORMATS: Readonly<Record<string, FormatSpec>> = {
  webdataset: { kinds: ["caption"], options: {}, runtimeFormat: "webdataset" },
  jsonl: {
    kinds: ["caption", "interleaved", "text", "conversation"],
    options: { field: "string", kind: "kind" },
    runtimeFormat: "jsonl",
  },
  textfiles: { kinds: ["text"], options: {}, runtimeFormat: "text" },
  // LLaVA-style conversations, the same as `jsonl(..., kind: conversation)`
  conversations: { kinds: ["conversation"], options: {}, runtimeFormat: "jsonl" },
};

const SOURCE_KINDS: readonly SourceKind[] = ["caption", "interleaved", "text", "conversation"];
/** The settings of a `data` block (its other fields are sources): src/spec/settings.ts. */
const SETTINGS = fieldNames(DATA_SETTINGS);

/** `resize`: how images are resampled to the encoder's side (image-preprocess.ts). */
const RESIZE_MODES = ["auto", "area", "bilinear", "bicubic"] as const;
/** `fit`: how a non-square image is made square (image-preprocess.ts's expandToSquare). */
const FIT_MODES = ["crop", "pad"] as const;

/**
 * The fields of a data block with its bases applied (`data B = A { ... }`): a field of the
 * variant replaces the base's field of the same name, and a source written without a weight
 * keeps the base's weight.
 */
function mergedFields(
  ctx: CheckContext,
  module: Module,
  decl: BlockDecl,
): { field: Field; module: Module }[] | undefined {
  const own = decl.body.members
    .filter((m): m is Field => m.kind === "field")
    .map((field) => ({ field, module }));
  if (!decl.base) return own;
  const sym = ctx.lookup(module, decl.base);
  if (!sym) return undefined;
  const baseModule = ctx.moduleOf(sym);
  if (sym.kind !== "data" || sym.decl?.kind !== "data" || !baseModule) {
    ctx.report({
      code: "MM2012",
      message: `\`data ${decl.name.text}\` varies \`${decl.base.text}\`, which is a ${sym.kind}, not a data mixture`,
      span: decl.base.span,
      help: "a variant is written `data B = A { ... }` where `A` is a `data` declaration",
    });
    return undefined;
  }
  const baseDecl = sym.decl;
  // A chain of variants is walked again for each variant: refuse one past the limit (MM2019).
  const self = module.declared.get(decl.name.text);
  if (self && !ctx.chain(self, sym, decl.base.span)) return undefined;
  const base = ctx.guard(sym, decl.base.span, () => mergedFields(ctx, baseModule, baseDecl));
  if (!base) return undefined;
  const out = [...base];
  for (const o of own) {
    const key = pathText(o.field.path);
    const i = out.findIndex((b) => pathText(b.field.path) === key);
    if (i === -1) {
      out.push(o);
      continue;
    }
    const prev = out[i]!.field.value;
    const next = o.field.value;
    // `caption: webdataset("mine.tar")` in a variant keeps the base's weight.
    const inherited =
      prev.kind === "weighted" && next.kind === "call"
        ? {
            ...o,
            field: {
              ...o.field,
              value: {
                kind: "weighted" as const,
                weight: prev.weight,
                source: next,
                span: next.span,
              },
            },
          }
        : o;
    out[i] = inherited;
  }
  return out;
}

export function checkData(
  ctx: CheckContext,
  module: Module,
  decl: BlockDecl,
): CheckedData | undefined {
  const raws: RawSource[] = [];
  let imagesPerSequence = 1;
  let tokenizer: CheckedData["tokenizer"] = { kind: "bytes" };
  let tokenizerSpan: Value["span"] | undefined;
  let weighting: CheckedData["weighting"] = "samples";
  let mix: { parts: readonly number[]; span: Value["span"] } | undefined;
  let heldoutRaw: RawSource | undefined;
  let synthesize: string | undefined;
  let roots: CheckedData["roots"];
  let resize: CheckedData["resize"];
  let fit: CheckedData["fit"];
  const seen = new Map<string, Field>();
  let ok = true;

  for (const m of decl.body.members) {
    if (m.kind !== "field") {
      ctx.report({
        code: "MM2007",
        message: `a \`${m.kind}\` block cannot appear in \`data\``,
        span: m.span,
        help: "remove it",
      });
      continue;
    }
    const key = pathText(m.path);
    const first = seen.get(key);
    if (first) {
      ctx.report({
        code: "MM2008",
        message: `\`${key}\` is given twice in \`data ${decl.name.text}\``,
        span: m.span,
        secondary: [{ span: first.span, message: "first given here" }],
        help: "remove one of the two, or give the second source another name",
      });
      return undefined;
    }
    seen.set(key, m);
  }
  const fields = mergedFields(ctx, module, decl);
  if (!fields) return undefined;
  for (const { field: m, module: home } of fields) {
    const key = pathText(m.path);
    const v = m.value;
    if (key === "images_per_sequence") {
      // At most the largest context: every image takes at least one token of the sequence.
      if (
        v.kind === "number" &&
        Number.isInteger(v.value) &&
        v.value >= 0 &&
        v.value <= LIMITS.context.max &&
        v.unit === "none"
      )
        imagesPerSequence = v.value;
      else
        wrongSetting(
          ctx,
          key,
          v,
          "a whole number from 0 to 16,777,216 (each image takes a token of the context), e.g. `images_per_sequence: 4`",
        );
    } else if (key === "tokenizer") {
      tokenizerSpan = v.span;
      if (v.kind === "name" && v.name.text === "bytes") tokenizer = { kind: "bytes" };
      else if (v.kind === "call" && v.callee.text === "bpe" && v.args[0]?.value.kind === "string") {
        const path = specPath(ctx, v.args[0].value, home.path, "the `bpe` tokenizer's path");
        if (path !== undefined) tokenizer = { kind: "bpe", path };
      } else
        wrongSetting(
          ctx,
          key,
          v,
          '`bytes` (byte-level, needs no files) or `bpe("tokenizer.json")`',
        );
    } else if (key === "weighting") {
      if (v.kind === "name" && (v.name.text === "samples" || v.name.text === "tokens"))
        weighting = v.name.text;
      else
        wrongSetting(
          ctx,
          key,
          v,
          "`samples` (weights count samples) or `tokens` (weights count tokens)",
        );
    } else if (key === "heldout") {
      // A held-out caption source for evaluation: not part of the mixture, never trained on.
      if (v.kind === "call" && v.callee.text in FORMATS)
        heldoutRaw = { name: "heldout", field: m, call: v, module: home };
      else
        wrongSetting(
          ctx,
          key,
          v,
          'a caption source such as `webdataset("data/heldout-{0000..0001}.tar")`',
        );
    } else if (key === "synthesize") {
      if (v.kind === "string") synthesize = specPath(ctx, v, home.path, "`synthesize`");
      else
        wrongSetting(
          ctx,
          key,
          v,
          'the folder where `mmc run` writes the synthetic corpus when it is missing, e.g. `"data/synth"`',
        );
    } else if (key === "roots") {
      roots = checkRoots(ctx, home, v);
      if (!roots) ok = false;
    } else if (key === "resize") {
      const mode = v.kind === "name" ? v.name.text : undefined;
      if (mode !== undefined && (RESIZE_MODES as readonly string[]).includes(mode)) {
        if (mode !== "auto") resize = mode as CheckedData["resize"];
      } else checkResize(ctx, v);
    } else if (key === "fit") {
      const mode = v.kind === "name" ? v.name.text : undefined;
      if (mode === "pad") fit = "pad";
      else if (mode !== "crop") checkFit(ctx, v);
    } else if (key === "mix") {
      if (v.kind === "ratio") mix = { parts: v.parts, span: v.span };
      else wrongSetting(ctx, key, v, "a ratio such as `45:45:10`, one part per source in order");
    } else if (v.kind === "weighted") {
      raws.push({ name: key, field: m, weight: v.weight, call: v.source, module: home });
    } else if (v.kind === "call" && v.callee.text in FORMATS) {
      raws.push({ name: key, field: m, call: v, module: home });
    } else if (m.path.length === 1 && v.kind !== "call") {
      const hint = didYouMean(key, SETTINGS);
      ctx.report({
        code: "MM2007",
        message: `\`${key}\` is not a setting of \`data\`, and its value is not a source`,
        span: m.path[0]!.span,
        notes: [
          `settings are ${SETTINGS.map((s) => `\`${s}\``).join(", ")}; a source is written \`name: 45% jsonl("file.jsonl")\``,
        ],
        help: hint ?? 'write a source as `name: WEIGHT FORMAT("path")`',
      });
      ok = false;
    } else if (v.kind === "call") {
      raws.push({ name: key, field: m, call: v, module: home });
    }
  }

  const sources: CheckedSource[] = [];
  for (const r of raws) {
    const s = checkSource(ctx, r);
    if (s) sources.push(s);
    else ok = false;
  }
  if (raws.length === 0) {
    ctx.report({
      code: "MM4007",
      message: `\`data ${decl.name.text}\` has no sources`,
      span: decl.name.span,
      help: 'add a source such as `caption: 100% webdataset("data/caption-{0000..0003}.tar")`',
    });
    return undefined;
  }
  const weights = checkWeights(ctx, decl, raws, mix);
  if (!weights || !ok) return undefined;
  sources.forEach((s, i) => (s.weight = weights[i] ?? 0));
  let heldout: CheckedSource | undefined;
  if (heldoutRaw) {
    heldout = checkSource(ctx, { ...heldoutRaw, name: "caption" });
    if (!heldout) return undefined;
    if (heldout.kind !== "caption") {
      ctx.report({
        code: "MM4004",
        message: "`heldout` must be a caption source (it measures caption loss given the image)",
        span: heldoutRaw.call.span,
        help: 'use `webdataset("...")` or `jsonl("...", kind: caption)`',
      });
      return undefined;
    }
    heldout = { ...heldout, name: "heldout", weight: 1 };
  }
  return {
    name: decl.name.text,
    span: decl.name.span,
    ...(tokenizerSpan ? { spans: { tokenizer: tokenizerSpan } } : {}),
    baseDir: ".",
    sources,
    weighting,
    imagesPerSequence,
    tokenizer,
    ...(heldout ? { heldout } : {}),
    ...(synthesize ? { synthesize } : {}),
    ...(roots?.length ? { roots } : {}),
    ...(resize ? { resize } : {}),
    ...(fit ? { fit } : {}),
  };
}

const ROOTS_EXAMPLE = '`roots: ["/datasets/coco", "shared/images"]`';

/**
 * `roots: ["..."]`: folders, besides each data file's own, that paths inside data files may point
 * into; relative to the spec's folder or absolute.
 */
function checkRoots(ctx: CheckContext, home: Module, v: Value): CheckedData["roots"] {
  if (v.kind !== "list") {
    ctx.report({
      code: "MM2009",
      message: `\`roots\` must be a list of folder paths, not ${describeValue(v)}`,
      span: v.span,
      help:
        v.kind === "string"
          ? `write it in a list: \`roots: [${JSON.stringify(v.value)}]\``
          : `write a list of folders such as ${ROOTS_EXAMPLE}`,
    });
    return undefined;
  }
  const out: { path: string; absolute: boolean }[] = [];
  for (const item of v.items) {
    if (item.kind !== "string" || item.value === "") {
      ctx.report({
        code: "MM2009",
        message: `each of \`roots\` must be a folder path, not ${item.kind === "string" ? "an empty string" : describeValue(item)}`,
        span: item.span,
        help: `write each folder as a string, e.g. ${ROOTS_EXAMPLE}`,
      });
      return undefined;
    }
    const control = pathProblem(item, "a folder of `roots`");
    if (control) {
      ctx.report({
        code: control.code,
        message: control.message,
        span: item.span,
        ...(control.labels[0]?.message ? { label: control.labels[0].message } : {}),
        ...(control.help ? { help: control.help } : {}),
      });
      return undefined;
    }
    const absolute = posix.isAbsolute(item.value);
    out.push({
      path: absolute
        ? posix.normalize(item.value)
        : posix.join(posix.dirname(home.path), item.value),
      absolute,
    });
  }
  return out;
}

/** A `resize` that is not one of the modes: the modes, and the one meant when it is a near miss. */
function checkResize(ctx: CheckContext, v: Value): void {
  const written = v.kind === "name" ? v.name.text : v.kind === "string" ? v.value : undefined;
  const near =
    written === undefined
      ? undefined
      : (RESIZE_MODES as readonly string[]).includes(written)
        ? written
        : suggest(written, RESIZE_MODES);
  ctx.report({
    code: "MM2009",
    message: `\`resize\` must be one of ${RESIZE_MODES.map((m) => `\`${m}\``).join(", ")}, not ${describeValue(v)}`,
    span: v.span,
    notes: [
      "`bicubic` resizes as CLIP's preprocessing does (Pillow's bicubic), for pretrained CLIP encoders",
    ],
    help: near
      ? `write \`resize: ${near}\` (a name, without quotes)`
      : "write `resize: bicubic` for a pretrained CLIP encoder, or leave `resize` out",
  });
}

/** A `fit` that is not `crop` or `pad`: both, and the one meant when it is a near miss. */
function checkFit(ctx: CheckContext, v: Value): void {
  const written = v.kind === "name" ? v.name.text : v.kind === "string" ? v.value : undefined;
  const near =
    written === undefined
      ? undefined
      : (FIT_MODES as readonly string[]).includes(written)
        ? written
        : suggest(written, FIT_MODES);
  ctx.report({
    code: "MM2009",
    message: `\`fit\` must be \`crop\` or \`pad\`, not ${describeValue(v)}`,
    span: v.span,
    notes: [
      "`pad` pads to a square of the mean colour, as LLaVA-1.5 does; `crop` takes the centred square",
    ],
    help: near
      ? `write \`fit: ${near}\` (a name, without quotes)`
      : "write `fit: pad` to pad as LLaVA-1.5 does, or leave `fit` out",
  });
}

function wrongSetting(ctx: CheckContext, key: string, v: Value, want: string): void {
  ctx.report({
    code: "MM2009",
    message: `\`${key}\` must be ${want}, not ${describeValue(v)}`,
    span: v.span,
    help: `write ${want}`,
  });
}

function checkSource(ctx: CheckContext, r: RawSource): CheckedSource | undefined {
  const fmt = FORMATS[r.call.callee.text];
  if (!fmt) {
    const sym = ctx.lookup(r.module, r.call.callee);
    const hint =
      sym?.kind === "data"
        ? `mixtures do not nest: write the sources of \`${sym.name}\` here with their weights, or change \`${sym.name}\` itself with a variant \`data Mine = ${sym.name} { ... }\``
        : didYouMean(r.call.callee.text, Object.keys(FORMATS));
    ctx.report({
      code: "MM4003",
      message: sym
        ? `\`${r.call.callee.text}\` is ${describeSym(sym)}, not a data format`
        : `unknown data format \`${r.call.callee.text}\``,
      span: r.call.callee.span,
      notes: [
        "formats are `webdataset` (tar shards of image + caption), `jsonl` (captions, interleaved documents or text), `textfiles` (plain text) and `conversations` (LLaVA-style chat JSONL)",
      ],
      help: hint ?? "use one of the formats above",
    });
    return undefined;
  }
  const [pathArg, ...optionArgs] = r.call.args;
  if (!pathArg || pathArg.name || pathArg.value.kind !== "string") {
    ctx.report({
      code: "MM4004",
      message: `\`${r.call.callee.text}\` needs a path as its first argument`,
      span: r.call.span,
      help: `write \`${r.call.callee.text}("data/file")\``,
    });
    return undefined;
  }
  let field: string | undefined;
  let kind: SourceKind | undefined = (SOURCE_KINDS as readonly string[]).includes(r.name)
    ? (r.name as SourceKind)
    : undefined;
  if (fmt.kinds.length === 1) kind = fmt.kinds[0];
  for (const a of optionArgs) {
    const optName = a.name?.text;
    const optType = optName ? fmt.options[optName] : undefined;
    if (!optName || !optType) {
      const names = Object.keys(fmt.options);
      ctx.report({
        code: "MM4004",
        message: optName
          ? `\`${r.call.callee.text}\` has no option \`${optName}\``
          : 'extra arguments must be named, like `field: "text"`',
        span: a.span,
        notes: [
          names.length
            ? `\`${r.call.callee.text}\` options: ${names.map((n) => `\`${n}\``).join(", ")}`
            : `\`${r.call.callee.text}\` takes only a path`,
        ],
        help: (optName && didYouMean(optName, names)) ?? "remove it",
      });
      return undefined;
    }
    if (optType === "string" && a.value.kind === "string") field = a.value.value;
    else if (
      optType === "kind" &&
      a.value.kind === "name" &&
      (SOURCE_KINDS as readonly string[]).includes(a.value.name.text)
    )
      kind = a.value.name.text as SourceKind;
    else {
      ctx.report({
        code: "MM4004",
        message: `option \`${optName}\` must be ${optType === "string" ? "a string" : "`caption`, `interleaved`, `text` or `conversation`"}, not ${describeValue(a.value)}`,
        span: a.value.span,
        help:
          optType === "string"
            ? `write \`${optName}: "text"\``
            : `write \`${optName}: interleaved\``,
      });
      return undefined;
    }
  }
  if (!kind) {
    ctx.report({
      code: "MM4006",
      message: `cannot tell what source \`${r.name}\` holds`,
      span: r.call.span,
      help: `name the source \`caption\`, \`interleaved\` or \`text\`, or add \`kind: interleaved\` (or \`caption\`, \`text\`) to \`${r.call.callee.text}(...)\``,
    });
    return undefined;
  }
  if (field !== undefined && kind !== "text") {
    ctx.report({
      code: "MM4004",
      message: "option `field` applies only to text sources",
      span: r.call.span,
      help: "remove `field`, or add `kind: text`",
    });
    return undefined;
  }
  const path = pathArg.value.value;
  if (/^[a-z]+:\/\//i.test(path)) {
    ctx.report({
      code: "MM4004",
      message: `source \`${r.name}\` is a URL; sources must be local files`,
      span: pathArg.value.span,
      help: "download the data first (a training machine may have no network), then give its local path",
    });
    return undefined;
  }
  const joined = specPath(ctx, pathArg.value, r.module.path, `the path of source \`${r.name}\``);
  if (joined === undefined) return undefined;
  return {
    name: r.name,
    kind,
    format: fmt.runtimeFormat,
    path: joined,
    ...(kind === "text" && fmt.runtimeFormat === "jsonl" ? { field: field ?? "text" } : {}),
    weight: 0,
  };
}
