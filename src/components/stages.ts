// Training stages, as pure data over weight manifests: which tensors a `freeze` list freezes, and
// how a train that starts from another train's checkpoint (`init: pretrain`) fills each of its
// tensors (copied, upcycled from a dense MLP into MoE experts, or initialised as usual).
import { BLOCK, MOE } from "./weight-names.js";

/** A tensor by name and shape (a manifest entry, or a tensor of a checkpoint). */
export interface NamedShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The parts of a model `freeze` may name; a longer path (`llm.embed`) names tensors under it. */
export const FREEZE_PARTS = ["vision", "connector", "llm"] as const;

/** Whether tensor `name` is under `path` (the path itself, or `path.` followed by more). */
export function underPath(name: string, path: string): boolean {
  return name === path || name.startsWith(`${path}.`);
}

/** Whether `freeze` (a list of paths) freezes tensor `name`. */
export function isFrozen(name: string, freeze: readonly string[]): boolean {
  return freeze.some((p) => underPath(name, p));
}

/** Where one tensor of the later stage's model gets its first value. */
export type StageSource =
  | { readonly kind: "copy"; readonly from: string }
  /** An MoE expert's MLP tensor taken from the dense layer's MLP at the same depth. */
  | { readonly kind: "upcycle"; readonly from: string }
  /** Initialised as usual (an MoE router or shared-expert gate of an upcycled layer). */
  | { readonly kind: "fresh" };

export type StageProblem =
  | { readonly kind: "missing"; readonly name: string; readonly shape: readonly number[] }
  | { readonly kind: "unexpected"; readonly name: string; readonly shape: readonly number[] }
  | {
      readonly kind: "shape";
      readonly name: string;
      readonly from: readonly number[];
      readonly to: readonly number[];
    };

export interface StagePlan {
  /** For each tensor of the later model, by name. */
  readonly sources: ReadonlyMap<string, StageSource>;
  /** Indices of decoder layers whose experts are upcycled from a dense MLP, ascending. */
  readonly upcycledLayers: readonly number[];
  /** Mismatches; the plan is usable only when there are none. */
  readonly problems: readonly StageProblem[];
}

const MOE_MLP = new RegExp(
  `^(.*\\.${BLOCK.layer(0).split(".")[0]}\\.(\\d+))\\.${BLOCK.moe}\\.(?:experts|shared)\\.\\d+\\.${MOE.mlp}\\.(.+)$`,
);
const MOE_OWN = new RegExp(
  `^(.*\\.${BLOCK.layer(0).split(".")[0]}\\.(\\d+))\\.${BLOCK.moe}\\.(?:${MOE.router}|${MOE.sharedGate})\\.`,
);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * How the tensors `to` (the later stage's model) are filled from `from` (the earlier stage's):
 * a tensor of the same name and shape is copied; where `from` has a dense MLP at a layer and `to`
 * has an MoE layer there, each expert's MLP tensor (routed and shared) of the dense one's shape is
 * copied from it and the router (and shared-expert gate) is initialised as usual. Everything else
 * is a problem: a tensor `to` has and `from` lacks, one `from` has that nothing reads, or two
 * shapes that differ.
 */
export function planStage(from: readonly NamedShape[], to: readonly NamedShape[]): StagePlan {
  const source = new Map(from.map((t) => [t.name, t.shape]));
  const used = new Set<string>();
  const sources = new Map<string, StageSource>();
  const problems: StageProblem[] = [];
  const upcycled = new Set<number>();
  for (const t of to) {
    const same = source.get(t.name);
    if (same !== undefined) {
      used.add(t.name);
      if (sameShape(same, t.shape)) sources.set(t.name, { kind: "copy", from: t.name });
      else problems.push({ kind: "shape", name: t.name, from: same, to: t.shape });
      continue;
    }
    const expert = MOE_MLP.exec(t.name);
    if (expert) {
      const dense = `${expert[1]}.${BLOCK.mlp}.${expert[3]}`;
      const shape = source.get(dense);
      if (shape !== undefined) {
        used.add(dense);
        if (sameShape(shape, t.shape)) {
          sources.set(t.name, { kind: "upcycle", from: dense });
          upcycled.add(Number(expert[2]));
        } else problems.push({ kind: "shape", name: t.name, from: shape, to: t.shape });
        continue;
      }
    }
    const own = MOE_OWN.exec(t.name);
    if (own && from.some((f) => f.name.startsWith(`${own[1]}.${BLOCK.mlp}.`))) {
      sources.set(t.name, { kind: "fresh" });
      continue;
    }
    problems.push({ kind: "missing", name: t.name, shape: t.shape });
  }
  for (const f of from)
    if (!used.has(f.name)) problems.push({ kind: "unexpected", name: f.name, shape: f.shape });
  return { sources, upcycledLayers: [...upcycled].sort((a, b) => a - b), problems };
}

/** `[64, 128]`. */
export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** One problem in words: "`llm.embed.weight` is [260, 64] there and [260, 96] here". */
export function describeStageProblem(p: StageProblem, there: string, here: string): string {
  switch (p.kind) {
    case "missing":
      return `\`${p.name}\` ${shapeText(p.shape)} is in ${here} but not in ${there}`;
    case "unexpected":
      return `\`${p.name}\` ${shapeText(p.shape)} is in ${there} but not in ${here}`;
    case "shape":
      return `\`${p.name}\` is ${shapeText(p.from)} in ${there} and ${shapeText(p.to)} in ${here}`;
  }
}
