// Counting: active parameters over a manifest (for the runtime's tensors), the exactness guard on
// counts, and one component inspected on its own (`componentSummary`), with neighbours replaced
// by the kinds' documented stand-ins. Counts come from the kinds' closed forms, not manifests.
import { countParams, numel } from "./blocks.js";
import { isConfig } from "./fields.js";
import { problem } from "./problem.js";
import { componentKind } from "./registry.js";
import type {
  ComponentKind,
  Config,
  Problem,
  ResolveContext,
  TokenShape,
  WeightTensor,
} from "./types.js";

/**
 * Parameters one token uses: all unique parameters except the routed experts it is not sent to.
 * Routed-expert tensors are those with `expert` set; each MoE layer's experts are the same size,
 * so a token uses `topK / experts` of them (shared experts and routers are always active).
 */
export function activeParams(
  manifest: readonly WeightTensor[],
  moe?: { experts: number; topK: number },
): number {
  const total = countParams(manifest);
  if (moe === undefined) return total;
  let routed = 0;
  for (const t of manifest)
    if (t.expert !== undefined && t.tiedTo === undefined) routed += numel(t.shape);
  // Exact: `routed` is a whole number of experts per layer, so it divides by `experts`.
  const unused = (routed / moe.experts) * (moe.experts - moe.topK);
  return total - unused;
}

/** The routing numbers of a resolved Decoder config's `moe`, if it has one. */
export function moeRouting(config: Config): { experts: number; topK: number } | undefined {
  const m = config["moe"];
  if (!isConfig(m)) return undefined;
  const experts = m["experts"];
  const topK = m["top_k"];
  return typeof experts === "number" && typeof topK === "number" ? { experts, topK } : undefined;
}

/**
 * MM2018 when a parameter count is past 2^53 - 1, where doubles stop being exact (every field is
 * bounded, but their product is not): the count would be wrong, so it is refused.
 */
export function tooManyParams(params: number, what: string, fields: readonly string[]): Problem[] {
  if (Number.isSafeInteger(params)) return [];
  return [
    problem(
      "MM2018",
      `${what} has about ${params.toPrecision(3)} parameters, more than 9,007,199,254,740,991 (2^53 - 1), the most mmc counts exactly`,
      fields,
      {
        notes: ["the largest published models have a few trillion (about 10^12) parameters"],
        help: "make it smaller: fewer layers, a smaller width, or fewer experts",
      },
    ),
  ];
}

export interface ComponentSummary {
  readonly ok: true;
  readonly kind: string;
  /** The resolved config (defaults and inferred fields filled). */
  readonly config: Config;
  readonly output: TokenShape;
  /** Unique parameters. For `MoE` alone: one MoE layer. */
  readonly params: number;
  readonly activeParams: number;
  /** Forward FLOPs per `flopsUnit` (see `ComponentKind.flops`). */
  readonly flops: number;
  readonly flopsUnit: "image" | "token";
  /** Activation elements per unit in training. */
  readonly activations: number;
  /** Built on first read. */
  readonly manifest: readonly WeightTensor[];
  readonly inferred: Readonly<Record<string, string>>;
  /** Stand-ins used for missing neighbours, e.g. "image 3x224x224 (no model image given)". */
  readonly assumed: readonly string[];
  readonly warnings: readonly Problem[];
}

/**
 * Inspect one component (a preset) on its own. Missing neighbours take stand-ins: ViT a 3x224x224
 * image; connectors a 24x24 grid of width-1024 patch tokens and a 2048-wide language model
 * (or their written `in`/`out`); MoE a 12-layer, 768-wide Decoder with `gelu(3072)`.
 */
export function componentSummary(
  kindOrName: ComponentKind | string,
  config: Config,
  context: ResolveContext = {},
): ComponentSummary | { ok: false; problems: readonly Problem[] } {
  const kind = typeof kindOrName === "string" ? componentKind(kindOrName) : kindOrName;
  if (kind === undefined) throw new Error(`internal: no component kind \`${String(kindOrName)}\``);
  const r = kind.resolve(config, context);
  if (!r.ok) return r;
  const counts = kind.params(r.config);
  const tooMany = tooManyParams(counts.total, `this \`${kind.name}\``, []);
  if (tooMany.length > 0) return { ok: false, problems: tooMany };
  const resolved = r.config;
  let manifest: readonly WeightTensor[] | undefined;
  return {
    ok: true,
    kind: kind.name,
    config: resolved,
    output: r.output,
    params: counts.total,
    activeParams: counts.active,
    flops: kind.flops(resolved),
    flopsUnit: kind.costUnit,
    activations: kind.activations(resolved),
    // Built on first read: counting does not need it.
    get manifest() {
      return (manifest ??= kind.manifest(resolved));
    },
    inferred: r.inferred,
    assumed: kind.role === "moe" ? [...r.assumed, "counts are for one MoE layer"] : r.assumed,
    warnings: r.warnings,
  };
}
