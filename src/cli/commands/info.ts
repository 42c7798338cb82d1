// `mmc info FILE`: a model summary per model (part, kind, output shape, parameters, active,
// FLOPs), totals, image tokens and training memory; and every component preset on its own.
import { checkSpec } from "../load.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { formatCount, humanBytes, humanCount } from "../../check/budget.js";
import { gridText } from "../../components/tiles.js";
import type {
  CheckedComponent,
  CheckedModel,
  CheckedProgram,
  CheckedTrain,
} from "../../check/ir.js";
import { choiceFlag, intFlag, parseArgs, UsageError } from "../args.js";
import { memoryPerDevice } from "../../spec/devices.js";
import type { Command } from "../commands.js";
import { printDiagnostics } from "../output.js";
import { renderSweepInfo, sweepInfoJson } from "../../sweep/listing.js";
import { escapeControls, escapeJsonText } from "../../diagnostics/terminal-text.js";

export const infoCommand: Command = {
  name: "info",
  summary: "show shapes, parameters, FLOPs, image tokens and training memory",
  usage: `usage: mmc info FILE [--json] [--devices N] [--format rich|short|json]

Prints a table per model and per component preset. --devices N shows each train's training
memory per device over N devices (weights, gradients and AdamW state sharded, each device
holding the activations of its share of the batch; default: the train's \`devices\`). With --json, prints
{"models": [...], "components": [...], "sweeps": [...]} with integer counts. A \`sweep\` is
listed point by point (its axis values and derived numbers).`,
  async run(argv, io) {
    const args = parseArgs(argv, {
      values: ["format", "devices"],
      switches: ["json", "no-color", "trace"],
    });
    const devices = intFlag(args, "devices", 1);
    const format = choiceFlag(args, "format", ["rich", "short", "json"] as const, "rich");
    const file = args.positionals[0];
    if (!file || args.positionals.length > 1)
      throw new UsageError("`mmc info` needs one file, e.g. `mmc info examples/tiny.mm`");
    const result = checkSpec(file);
    const errors = hasErrors(result.diagnostics);
    printDiagnostics(io, result.diagnostics, result.sources, format === "json" ? "rich" : format);
    if (errors || !result.checked) return 1;
    io.stdout(
      args.switches.has("json")
        ? `${escapeJsonText(JSON.stringify(infoJson(result.checked, devices), null, 2))}\n`
        : renderInfo(result.checked, devices),
    );
    return 0;
  },
};

function trainsOf(p: CheckedProgram, model: string): CheckedTrain[] {
  return p.trains.filter((t) => t.model.name === model);
}

/** A train's training memory on each device: over `devices` (--devices), else its own `devices`. */
function perDevice(t: CheckedTrain, devices: number | undefined) {
  const n = devices ?? t.devices;
  return {
    devices: n,
    memory: n === t.devices ? t.memoryPerDevice : memoryPerDevice(t.memory, n, t.batch),
  };
}

export function infoJson(p: CheckedProgram, devices?: number): unknown {
  return {
    file: p.file,
    models: p.models.map((m) => modelJson(m, trainsOf(p, m.name), devices)),
    components: p.components.map(componentJson),
    sweeps: p.sweeps.map(sweepInfoJson),
  };
}

/** `, at most: 4 crops + an overview, 4 tokens each (grids 1x1, 2x2)` for a tiled model. */
function tilesText(m: CheckedModel): string {
  if (!m.tiles) return "";
  const s = m.summary;
  const crops = s.encoderPasses - (m.tiles.overview ? 1 : 0);
  return ` at most: ${crops} crops${m.tiles.overview ? " + an overview" : ""}, ${s.tokensPerCrop} tokens each (grids ${m.tiles.grids.map(gridText).join(", ")})`;
}

function modelJson(m: CheckedModel, trains: CheckedTrain[], devices?: number): unknown {
  const s = m.summary;
  const parts = [s.parts.vision, s.parts.connector, s.parts.llm].filter((x) => x !== undefined);
  return {
    name: m.name,
    ...(m.base ? { base: m.base } : {}),
    image: m.image ?? null,
    params: {
      total: s.params,
      active: s.activeParams,
      vision: s.parts.vision?.params ?? 0,
      connector: s.parts.connector?.params ?? 0,
      llm: s.parts.llm.params,
    },
    image_tokens: s.imageTokens,
    ...(m.tiles
      ? {
          tiles: {
            grids: m.tiles.grids.map(gridText),
            overview: m.tiles.overview,
            tokens_per_crop: s.tokensPerCrop,
            max_passes: s.encoderPasses,
          },
        }
      : {}),
    flops_per_token: s.flopsPerToken,
    flops_per_image: s.flopsPerImage,
    parts: parts.map((x) => ({
      part: x.part,
      kind: x.kind,
      output: { tokens: x.output.tokens, width: x.output.width },
      params: x.params,
      active_params: x.activeParams,
      flops: x.flops,
      flops_unit: x.flopsUnit,
    })),
    train_memory: trains.map((t) => ({
      train: t.name,
      batch: t.batch,
      sequence: t.sequence,
      precision: t.memory.precision,
      weights: t.memory.weights,
      gradients: t.memory.gradients,
      optimizer: t.memory.optimizer,
      activations: t.memory.activations,
      total: t.memory.total,
      ...(() => {
        const d = perDevice(t, devices);
        const pm = d.memory;
        return {
          devices: d.devices,
          per_device: {
            weights: pm.weights,
            gradients: pm.gradients,
            optimizer: pm.optimizer,
            activations: pm.activations,
            total: pm.total,
          },
        };
      })(),
      // `freeze`: gradients and AdamW state above count only the parameters that train
      trainable: t.freeze?.trainable ?? s.params,
      frozen: t.freeze?.frozen ?? 0,
      freeze: t.freeze?.paths ?? [],
      ...(t.init
        ? { init: { train: t.init.train, dir: t.init.dir, upcycled_layers: t.init.upcycledLayers } }
        : {}),
    })),
    ...(m.init && m.init.length > 0
      ? {
          init: m.init.map((i) => ({
            scope: i.scope,
            path: i.source.path,
            layout: i.source.layout,
            ...(i.source.map !== undefined ? { map: i.source.map } : {}),
            ...(i.facts
              ? { files: i.facts.files, tensors: i.facts.tensors, widened: i.facts.converted }
              : {}),
          })),
        }
      : {}),
  };
}

/** "initialised from ..." per `init`: which parts, from which file(s), what was widened. */
export function initLines(m: CheckedModel): string[] {
  const inits = m.init ?? [];
  const own = new Set(inits.map((i) => i.scope));
  const present = (["vision", "connector", "llm"] as const).filter((p) => m.parts[p]);
  const lines = inits.map(({ scope, source, facts }) => {
    const parts = scope === "model" ? present.filter((p) => !own.has(p)) : [scope];
    const files = facts && facts.files.length > 1 ? ` (${facts.files.length} shards)` : "";
    const names = source.map !== undefined ? `, names from \`${escapeControls(source.map)}\`` : "";
    const widened = Object.entries(facts?.converted ?? {})
      .map(([d, n]) => `; ${n} ${d} tensor${n === 1 ? "" : "s"} widened to fp32`)
      .join("");
    const count = facts ? `, ${facts.tensors} tensors` : "";
    return `init: ${parts.join(", ")} from \`${escapeControls(source.path)}\`${files} (${source.layout} layout${names}${count}${widened})`;
  });
  const rest = present.filter((p) => !inits.some((i) => i.scope === p || i.scope === "model"));
  if (inits.length > 0 && rest.length > 0)
    lines.push(`init: ${rest.join(", ")} initialised as usual (seeded)`);
  return lines;
}

function componentJson(c: CheckedComponent): unknown {
  const s = c.summary;
  return {
    name: c.name,
    kind: s.kind,
    role: c.role,
    params: { total: s.params, active: s.activeParams },
    output: { tokens: s.output.tokens, width: s.output.width },
    flops: s.flops,
    flops_unit: s.flopsUnit,
    assumed: s.assumed,
  };
}

function table(rows: string[][], rightAlign: Set<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (rightAlign.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function shape(tokens: number, width: number): string {
  return `[${tokens}, ${width}]`;
}

export function renderInfo(p: CheckedProgram, devices?: number): string {
  const out: string[] = [];
  for (const m of p.models) {
    const s = m.summary;
    out.push(`model ${m.name}${m.base ? ` = ${m.base} { ... }` : ""}`);
    // Doc comments are the one free text of a spec shown here: escaped like diagnostics.
    if (m.doc) for (const l of m.doc.split("\n")) out.push(`  ${escapeControls(l)}`);
    const rows: string[][] = [["  part", "kind", "output", "params", "active", "FLOPs"]];
    if (m.image) rows.push(["  image", "Image", `[${m.image.join(", ")}]`, "", "", ""]);
    for (const part of [s.parts.vision, s.parts.connector, s.parts.llm]) {
      if (!part) continue;
      rows.push([
        `  ${part.part}`,
        part.kind,
        part.part === "llm"
          ? `[${part.output.tokens}, ${part.output.width}] logits`
          : shape(part.output.tokens, part.output.width),
        formatCount(part.params),
        formatCount(part.activeParams),
        `${humanCount(part.flops)}/${part.flopsUnit}`,
      ]);
    }
    rows.push(["  total", "", "", formatCount(s.params), formatCount(s.activeParams), ""]);
    out.push(table(rows, new Set([3, 4, 5])));
    out.push(
      `  parameters: ${humanCount(s.params)} total, ${humanCount(s.activeParams)} active per token`,
    );
    if (s.parts.connector) out.push(`  image tokens: ${s.imageTokens} per image${tilesText(m)}`);
    out.push(
      `  forward FLOPs: ${humanCount(s.flopsPerToken)} per text token at full context${s.parts.vision ? `, ${humanCount(s.flopsPerImage)} per image` : ""} (multiply-add = 2)`,
    );
    for (const line of initLines(m)) out.push(`  ${line}`);
    for (const t of trainsOf(p, m.name)) {
      const mem = t.memory;
      out.push(
        `  training memory for \`train ${t.name}\` (batch ${t.batch}, sequence ${t.sequence}, ${mem.precision}): ` +
          `${humanBytes(mem.total)} = weights ${humanBytes(mem.weights)} + gradients ${humanBytes(mem.gradients)} + AdamW ${humanBytes(mem.optimizer)} + activations ${humanBytes(mem.activations)}`,
      );
      const d = perDevice(t, devices);
      if (d.devices > 1 || devices !== undefined) {
        const pm = d.memory;
        out.push(
          `    per device over ${d.devices} device${d.devices === 1 ? "" : "s"} (sharded; ${Math.ceil(t.batch / d.devices)} of ${t.batch} sequences each): ` +
            `${humanBytes(pm.total)} = weights ${humanBytes(pm.weights)} + gradients ${humanBytes(pm.gradients)} + AdamW ${humanBytes(pm.optimizer)} + activations ${humanBytes(pm.activations)}`,
        );
      }
      if (t.freeze)
        out.push(
          `    trainable: ${formatCount(t.freeze.trainable)} of ${formatCount(s.params)} parameters; frozen: ${formatCount(t.freeze.frozen)} (${t.freeze.paths.map((x) => `\`${escapeControls(x)}\``).join(", ")})`,
        );
      if (t.init)
        out.push(
          `    starts from the newest checkpoint of \`train ${t.init.train}\` (${escapeControls(t.init.dir)})` +
            (t.init.upcycledLayers.length > 0
              ? `; the MoE experts of layer${t.init.upcycledLayers.length === 1 ? "" : "s"} ${t.init.upcycledLayers.join(", ")} from its dense MLPs`
              : ""),
        );
    }
    out.push("");
  }
  if (p.components.length) {
    const rows: string[][] = [
      ["preset", "kind", "output", "params", "active", "FLOPs", "measured with"],
    ];
    for (const c of p.components) {
      const s = c.summary;
      rows.push([
        `${c.role} ${c.name}`,
        s.kind,
        shape(s.output.tokens, s.output.width),
        formatCount(s.params),
        formatCount(s.activeParams),
        `${humanCount(s.flops)}/${s.flopsUnit}`,
        s.assumed.join("; "),
      ]);
    }
    out.push(table(rows, new Set([3, 4])));
    out.push("");
  }
  if (p.data.length) {
    for (const d of p.data) {
      out.push(
        `data ${d.name}: ${d.sources.map((s) => `${s.name} ${Number((s.weight * 100).toFixed(2))}% (${s.kind}, ${s.format})`).join(", ")}; ${d.imagesPerSequence} image${d.imagesPerSequence === 1 ? "" : "s"} per sequence; tokenizer ${d.tokenizer.kind}`,
      );
    }
    out.push("");
  }
  for (const s of p.sweeps) out.push(renderSweepInfo(s));
  if (out.length === 0)
    out.push("nothing to show: the file declares no models, presets or data", "");
  return out.join("\n");
}
