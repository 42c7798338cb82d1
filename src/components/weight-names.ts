// The names of weight tensors, in one place: the manifests (components/*.ts) build them and the
// runtime layers (runtime/layers/) read them. Checkpoints store tensors under these names, so a
// change here is a change of the checkpoint format.

/** `a.b.c` from its parts. */
export function dot(...parts: readonly (string | number)[]): string {
  return parts.join(".");
}

/** A dense layer or a norm: `<name>.weight`, and `<name>.bias` when it has one. */
export const PARAM = { weight: "weight", bias: "bias" } as const;

export const ATTENTION = {
  q: "q",
  k: "k",
  v: "v",
  o: "o",
  qNorm: "q_norm",
  kNorm: "k_norm",
} as const;

export const MLP = { gate: "gate", up: "up", down: "down" } as const;

/** One pre-norm transformer block (ViT and Decoder). */
export const BLOCK = {
  layer: (i: number): string => dot("layers", i),
  attnNorm: "attn_norm",
  attn: "attn",
  mlpNorm: "mlp_norm",
  mlp: "mlp",
  moe: "moe",
} as const;

export const DECODER = {
  embed: "embed",
  posEmbed: "pos_embed",
  finalNorm: "final_norm",
  head: "head",
} as const;

export const VIT = {
  patchEmbed: "patch_embed",
  classToken: "class_token",
  posEmbed: "pos_embed",
  preNorm: "pre_norm",
  finalNorm: "final_norm",
  head: "head",
} as const;

/** One MoE layer; each expert (routed or shared) holds an MLP under `mlp`. */
export const MOE = {
  router: "router",
  expert: (e: number): string => dot("experts", e),
  shared: (s: number): string => dot("shared", s),
  sharedGate: "shared_gate",
  mlp: "mlp",
} as const;

export const AVG_POOL = { proj: "proj" } as const;

export const ATTN_POOL = { queries: "queries", attn: "attn", proj: "proj" } as const;

export const MLP_PROJECTOR = { fc1: "fc1", fc2: "fc2" } as const;

export const C_ABSTRACTOR = {
  posEmbed: "pos_embed",
  stage1: "stage1",
  stage2: "stage2",
  block: (i: number): string => String(i),
  readout: (j: number): string => dot("readout", j),
} as const;

/** One RegNet bottleneck block of the C-Abstractor. */
export const BOTTLENECK = {
  conv1: "conv1",
  norm1: "norm1",
  conv2: "conv2",
  norm2: "norm2",
  seFc1: "se.fc1",
  seFc2: "se.fc2",
  conv3: "conv3",
  norm3: "norm3",
  shortcut: "shortcut",
  shortcutNorm: "shortcut_norm",
} as const;
