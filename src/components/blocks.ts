// Building blocks shared by the kinds: the weight tensors of a linear layer, a norm, an attention
// block and an MLP, their parameter counts (arithmetic, no tensors), and their forward FLOPs.
// Matrix shapes are [in, out] (the tfjs convention).
import type { MlpValue, WeightTensor } from "./types.js";
import { ATTENTION, MLP, PARAM, dot } from "./weight-names.js";

export type NormKind = "layer" | "rms";

/**
 * The eps a norm adds to the variance (LayerNorm) or the mean square (RMSNorm) when a config
 * does not write `norm_eps`: PyTorch's `nn.LayerNorm` default, and Llama-2's, GPT-2's and
 * CLIP's `rms_norm_eps` / `layer_norm_eps`.
 */
export const DEFAULT_NORM_EPS = 1e-5;

/** Elements of one tensor. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Unique trainable parameters: tied tensors are counted once, under the tensor they share. */
export function countParams(tensors: readonly WeightTensor[]): number {
  let n = 0;
  for (const t of tensors) if (t.tiedTo === undefined) n += numel(t.shape);
  return n;
}

/** Prefix every tensor name (`layers.0.` + `attn.q.weight`). */
export function under(prefix: string, tensors: readonly WeightTensor[]): WeightTensor[] {
  return tensors.map((t) => ({
    ...t,
    name: `${prefix}.${t.name}`,
    ...(t.tiedTo === undefined ? {} : { tiedTo: `${prefix}.${t.tiedTo}` }),
  }));
}

/** Mark tensors as belonging to routed expert `expert`. */
export function asExpert(expert: number, tensors: readonly WeightTensor[]): WeightTensor[] {
  return tensors.map((t) => ({ ...t, expert }));
}

export function matrix(name: string, shape: readonly number[]): WeightTensor {
  return { name, shape, init: "normal", decay: true };
}

export function zeros(name: string, shape: readonly number[]): WeightTensor {
  return { name, shape, init: "zeros", decay: false };
}

/** A dense layer `name.weight` [in, out] and optionally `name.bias` [out]. */
export function linear(name: string, inW: number, outW: number, bias: boolean): WeightTensor[] {
  const w = matrix(dot(name, PARAM.weight), [inW, outW]);
  return bias ? [w, zeros(dot(name, PARAM.bias), [outW])] : [w];
}

/** LayerNorm (`weight` and `bias`) or RMSNorm (`weight` only) over `width`. */
export function norm(name: string, width: number, kind: NormKind): WeightTensor[] {
  const w: WeightTensor = {
    name: dot(name, PARAM.weight),
    shape: [width],
    init: "ones",
    decay: false,
  };
  return kind === "layer" ? [w, zeros(dot(name, PARAM.bias), [width])] : [w];
}

/** Parameters of `linear(name, inW, outW, bias)`. */
export function linearParams(inW: number, outW: number, bias: boolean): number {
  return inW * outW + (bias ? outW : 0);
}

/** Parameters of `norm(name, width, kind)`. */
export function normParams(width: number, kind: NormKind): number {
  return kind === "layer" ? 2 * width : width;
}

/** Parameters of `mlpTensors(name, width, mlp, bias)`. */
export function mlpParams(width: number, mlp: MlpValue, bias: boolean): number {
  const up = linearParams(width, mlp.hidden, bias);
  const down = linearParams(mlp.hidden, width, bias);
  return (mlp.fn === "swiglu" ? 2 * up : up) + down;
}

/** Parameters of `attentionTensors(name, a)`. */
export function attentionParams(a: AttentionShape): number {
  const qW = a.heads * a.headDim;
  const kvW = a.kvHeads * a.headDim;
  const src = a.kvWidth ?? a.width;
  const proj =
    linearParams(a.width, qW, a.qkvBias) +
    2 * linearParams(src, kvW, a.qkvBias) +
    linearParams(qW, a.width, a.outBias);
  if (a.qkNorm === "full") return proj + normParams(qW, a.normKind) + normParams(kvW, a.normKind);
  if (a.qkNorm === "head") return proj + 2 * normParams(a.headDim, a.normKind);
  return proj;
}

/** Forward FLOPs of a dense layer for one token (multiply-add = 2). */
export function linearFlops(inW: number, outW: number): number {
  return 2 * inW * outW;
}

/**
 * An MLP: `gelu`/`gelu_exact`/`quick_gelu`/`relu` are `up` [width, hidden] then `down` [hidden, width]; `swiglu` adds a
 * `gate` [width, hidden] (down(silu(gate(x)) * up(x))).
 */
export function mlpTensors(
  name: string,
  width: number,
  mlp: MlpValue,
  bias: boolean,
): WeightTensor[] {
  const up = linear(dot(name, MLP.up), width, mlp.hidden, bias);
  const down = linear(dot(name, MLP.down), mlp.hidden, width, bias);
  if (mlp.fn === "swiglu")
    return [...linear(dot(name, MLP.gate), width, mlp.hidden, bias), ...up, ...down];
  return [...up, ...down];
}

export function mlpFlops(width: number, mlp: MlpValue): number {
  const mats = mlp.fn === "swiglu" ? 3 : 2;
  return mats * linearFlops(width, mlp.hidden);
}

/**
 * Activation elements an MLP keeps per token: its input, the hidden pre-activation, and the
 * hidden input of `down` (swiglu also keeps `up`'s output: 3 hidden vectors).
 */
export function mlpActivations(width: number, mlp: MlpValue): number {
  return width + (mlp.fn === "swiglu" ? 3 : 2) * mlp.hidden;
}

export type QkNorm = "none" | "full" | "head";

export interface AttentionShape {
  /** Width of the residual stream the block reads and writes. */
  readonly width: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  readonly qkNorm: QkNorm;
  readonly normKind: NormKind;
  /** Width of the keys/values' source when it differs from `width` (cross-attention). */
  readonly kvWidth?: number;
}

/**
 * Self- (or cross-) attention: `q` [width, heads*head_dim], `k`/`v` [kv_width, kv_heads*head_dim],
 * `o` [heads*head_dim, width]; query/key norms over the whole projection (`full`) or one head
 * width shared by all heads (`head`).
 */
export function attentionTensors(name: string, a: AttentionShape): WeightTensor[] {
  const qW = a.heads * a.headDim;
  const kvW = a.kvHeads * a.headDim;
  const src = a.kvWidth ?? a.width;
  const out = [
    ...linear(dot(name, ATTENTION.q), a.width, qW, a.qkvBias),
    ...linear(dot(name, ATTENTION.k), src, kvW, a.qkvBias),
    ...linear(dot(name, ATTENTION.v), src, kvW, a.qkvBias),
    ...linear(dot(name, ATTENTION.o), qW, a.width, a.outBias),
  ];
  if (a.qkNorm !== "none") {
    const [qNormW, kNormW] = a.qkNorm === "full" ? [qW, kvW] : [a.headDim, a.headDim];
    out.push(
      ...norm(dot(name, ATTENTION.qNorm), qNormW, a.normKind),
      ...norm(dot(name, ATTENTION.kNorm), kNormW, a.normKind),
    );
  }
  return out;
}

/**
 * Forward FLOPs of attention for one query token attending over `keys` positions, including its
 * own q/k/v/o projections: scores (2 * keys * head_dim per head) and the weighted sum of values
 * (the same again).
 */
export function attentionFlops(a: AttentionShape, keys: number): number {
  const qW = a.heads * a.headDim;
  const kvW = a.kvHeads * a.headDim;
  const src = a.kvWidth ?? a.width;
  const proj = linearFlops(a.width, qW) + 2 * linearFlops(src, kvW) + linearFlops(qW, a.width);
  return proj + 4 * keys * qW;
}

/**
 * Activation elements attention keeps per query token over `keys` positions: the normed input,
 * q, k, v, the softmax probabilities (heads x keys) and the input of `o`.
 */
export function attentionActivations(a: AttentionShape, keys: number): number {
  const qW = a.heads * a.headDim;
  const kvW = a.kvHeads * a.headDim;
  return a.width + qW + 2 * kvW + a.heads * keys + qW;
}
