// Checking a model's `tiles: { grids: ["1x1", "2x2", ...], overview: true }` (high-resolution
// sub-images, src/components/tiles.ts): the record's fields, each grid's text, repeats and sizes.
// What `tiles` means for the model (a square image to crop, grid sizes, tokens) is the composition's.
import {
  MAX_CROPS,
  MAX_CROPS_WHY,
  MAX_GRIDS,
  gridText,
  parseGrid,
  type TileGrid,
  type TilesConfig,
} from "../components/tiles.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { Value } from "../syntax/ast.js";
import type { CheckContext } from "./context.js";
import { describeValue } from "./field-value.js";

const TILES_FIELDS = ["grids", "overview"] as const;
const EXAMPLE = '`tiles: { grids: ["1x1", "2x2"], overview: true }`';

/** The checked `tiles` value, or undefined once its problems are reported. */
export function tilesValue(ctx: CheckContext, v: Value): TilesConfig | undefined {
  if (v.kind === "error") return undefined;
  if (v.kind !== "record") {
    ctx.report({
      code: "MM4020",
      message: `\`tiles\` must be a record \`{ grids: [...], overview: ... }\`, not ${describeValue(v)}`,
      span: v.span,
      help: `write ${EXAMPLE}`,
    });
    return undefined;
  }
  let grids: TileGrid[] | undefined;
  let overview = true;
  let ok = true;
  const seen = new Set<string>();
  for (const m of v.body.members) {
    if (m.kind !== "field" || m.path.length !== 1) {
      ctx.report({
        code: "MM4020",
        message: "`tiles` holds only the fields `grids` and `overview`",
        span: m.span,
        help: `write ${EXAMPLE}`,
      });
      ok = false;
      continue;
    }
    const name = m.path[0]!.text;
    if (seen.has(name)) {
      ctx.report({
        code: "MM4020",
        message: `\`tiles.${name}\` is given twice`,
        span: m.span,
        help: "remove one of the two",
      });
      ok = false;
      continue;
    }
    seen.add(name);
    if (name === "overview") {
      if (m.value.kind === "bool") overview = m.value.value;
      else {
        ctx.report({
          code: "MM4020",
          message: `\`tiles.overview\` must be \`true\` or \`false\`, not ${describeValue(m.value)}`,
          span: m.value.span,
          help: "write `overview: true` (a downscaled whole image goes before the crops) or `overview: false`",
        });
        ok = false;
      }
    } else if (name === "grids") {
      grids = gridList(ctx, m.value);
      if (!grids) ok = false;
    } else {
      ctx.report({
        code: "MM4020",
        message: `\`tiles\` has no field \`${name}\``,
        span: m.path[0]!.span,
        notes: ["`tiles` has `grids` (required) and `overview` (default `true`)"],
        help: didYouMean(name, TILES_FIELDS) ?? "remove it",
      });
      ok = false;
    }
  }
  if (ok && grids === undefined) {
    ctx.report({
      code: "MM4020",
      message: "`tiles` has no `grids`",
      span: v.span,
      help: `list the grids an image may be cut into: ${EXAMPLE}`,
    });
    return undefined;
  }
  return ok && grids ? { grids, overview } : undefined;
}

function gridList(ctx: CheckContext, v: Value): TileGrid[] | undefined {
  if (v.kind === "error") return undefined;
  if (v.kind !== "list" || v.items.length === 0) {
    ctx.report({
      code: "MM4020",
      message: `\`tiles.grids\` must be a list of grids like \`"2x2"\`, not ${v.kind === "list" ? "an empty list" : describeValue(v)}`,
      span: v.span,
      help: 'write `grids: ["1x1", "2x2", "1x2", "2x1"]` (crops across x crops down)',
    });
    return undefined;
  }
  if (v.items.length > MAX_GRIDS) {
    ctx.report({
      code: "MM4023",
      message: `\`tiles.grids\` lists ${v.items.length} grids, more than ${MAX_GRIDS}, the most mmc accepts (the grid is chosen per image among them)`,
      span: v.span,
      help: "list the grids images really need: MM1.5 and LLaVA-NeXT use about 5 to 10",
    });
    return undefined;
  }
  const grids: TileGrid[] = [];
  const first = new Map<string, Value>();
  let ok = true;
  for (const item of v.items) {
    const g = item.kind === "string" ? parseGrid(item.value) : undefined;
    if (!g) {
      ctx.report({
        code: "MM4021",
        message:
          item.kind === "string"
            ? `\`${item.value.slice(0, 40)}\` is not a grid: write crops across, \`x\`, crops down`
            : `a grid is a string like \`"2x2"\`, not ${describeValue(item)}`,
        span: item.span,
        help: 'write `"2x2"` (2 crops across, 2 down) or `"2x1"` (2 across, 1 down: a wide image)',
      });
      ok = false;
      continue;
    }
    const key = gridText(g);
    const before = first.get(key);
    if (before) {
      ctx.report({
        code: "MM4021",
        message: `the grid \`${key}\` is listed twice in \`tiles.grids\``,
        span: item.span,
        secondary: [{ span: before.span, message: "first listed here" }],
        help: "remove one of the two",
      });
      ok = false;
      continue;
    }
    first.set(key, item);
    const crops = g.cols * g.rows;
    if (crops > MAX_CROPS) {
      ctx.report({
        code: "MM4023",
        message: `the grid \`${key}\` has ${crops} crops, more than ${MAX_CROPS}, the most mmc accepts (${MAX_CROPS_WHY})`,
        span: item.span,
        help: "use a smaller grid, or a larger `image` (crop size) with fewer crops",
      });
      ok = false;
      continue;
    }
    grids.push(g);
  }
  return ok ? grids : undefined;
}
