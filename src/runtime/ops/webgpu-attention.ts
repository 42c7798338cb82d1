// The fused attention kernels of ops/fused-attention.ts on webgpu, as WGSL modules recorded by
// ops/webgpu-raw.ts (the forward and the key/value gradient each write two outputs). One
// invocation per query row (forward, stats, dq) or key row (dk, dv), looping over the keys or
// queries it meets with an online softmax, rotary positions applied as rows are loaded. The head
// dim is a constant of each module (private arrays of that length). The same arithmetic as the
// JS loops there, in float32. Nothing here imports the optional webgpu package.
import * as tf from "@tensorflow/tfjs-core";
import type { AttentionAttrs } from "./fused-attention.js";
import { flatIndex, flatParams, rawBindings, rawDispatch, rawDispatchReady } from "./webgpu-raw.js";
import type { Uniform } from "./webgpu-program.js";

/** Whether the backend can run the kernels (they need raw dispatches). */
export const webgpuAttentionReady = (backend: unknown): boolean => rawDispatchReady(backend);

const UNIFORMS = `struct U {
  rows : i32, b : i32, t : i32, s : i32, heads : i32, kvHeads : i32, causal : i32, scale : f32,
};`;

/** `fn rot<X>(at, pos)`: row X[at .. at + HD) rotated by position pos (or as it is). */
function rotFn(x: string, rope: boolean): string {
  const body = rope
    ? `for (var c = 0; c < HALF; c++) {
    let cs = T[pos * HD + c];
    let sn = T[pos * HD + HALF + c];
    let x1 = ${x}[at + c];
    let x2 = ${x}[at + HALF + c];
    r[c] = x1 * cs - x2 * sn;
    r[HALF + c] = x1 * sn + x2 * cs;
  }`
    : `for (var c = 0; c < HD; c++) {
    r[c] = ${x}[at + c];
  }`;
  return `fn rot${x}(at : i32, pos : i32) -> array<f32, HD> {
  var r : array<f32, HD>;
  ${rope ? "" : "_ = pos;"}
  ${body}
  return r;
}`;
}

/** `fn unrot(g, pos)`: the inverse rotation of a gradient in rotated space. */
function unrotFn(rope: boolean): string {
  const body = rope
    ? `for (var c = 0; c < HALF; c++) {
    let cs = T[pos * HD + c];
    let sn = T[pos * HD + HALF + c];
    r[c] = g[c] * cs + g[HALF + c] * sn;
    r[HALF + c] = -g[c] * sn + g[HALF + c] * cs;
  }`
    : `r = g;
  _ = pos;`;
  return `fn unrot(g : array<f32, HD>, pos : i32) -> array<f32, HD> {
  var r : array<f32, HD>;
  ${body}
  return r;
}`;
}

/** The module's head: constants, bindings (outputs, then inputs, then the uniforms). */
function head(hd: number, outputs: string[], inputs: string[]): string {
  return `const HD = ${hd};
const HALF = ${Math.floor(hd / 2)};
${UNIFORMS}
${rawBindings(outputs, inputs)}`;
}

const withTable = (rope: boolean, names: string[]): string[] =>
  rope ? [...names.slice(0, 3), "T", ...names.slice(3)] : names;

/**
 * The entry point's start for one invocation per query row (index = (b * heads + h) * t + i):
 * i, h, bi, the key/value head kh, the row's offset qAt and its rotated values qr.
 */
const QUERY_ROW = `@compute @workgroup_size(64)
fn main(${flatParams}) {
  ${flatIndex}
  if (index >= u.rows) {
    return;
  }
  let i = index % u.t;
  let h = (index / u.t) % u.heads;
  let bi = index / (u.t * u.heads);
  let kh = h / (u.heads / u.kvHeads);
  let qAt = ((bi * u.t + i) * u.heads + h) * HD;
  let qr = rotQ(qAt, i);`;

/** Keys seen by query i: `n`. */
const KEYS_SEEN = `var n = u.s;
  if (u.causal != 0) {
    n = clamp(i + u.s - u.t + 1, 0, u.s);
  }`;

function forwardCode(hd: number, rope: boolean): string {
  return `${head(hd, ["O", "LSE"], withTable(rope, ["Q", "K", "V"]))}
${rotFn("Q", rope)}
${rotFn("K", rope)}
${QUERY_ROW}
  ${KEYS_SEEN}
  var m = -3.402823e38;
  var l = 0.0;
  var acc : array<f32, HD>;
  for (var j = 0; j < n; j++) {
    let kAt = ((bi * u.s + j) * u.kvHeads + kh) * HD;
    let kr = rotK(kAt, j);
    var d = 0.0;
    for (var c = 0; c < HD; c++) {
      d = d + qr[c] * kr[c];
    }
    let score = u.scale * d;
    let mNew = max(m, score);
    let correction = exp(m - mNew);
    let p = exp(score - mNew);
    l = l * correction + p;
    for (var c = 0; c < HD; c++) {
      acc[c] = acc[c] * correction + p * V[kAt + c];
    }
    m = mNew;
  }
  if (n == 0) {
    for (var c = 0; c < HD; c++) {
      O[qAt + c] = 0.0;
    }
    LSE[index] = 0.0;
    return;
  }
  for (var c = 0; c < HD; c++) {
    O[qAt + c] = acc[c] / l;
  }
  LSE[index] = m + log(l);
}`;
}

function statsCode(hd: number): string {
  return `${head(hd, ["ST"], ["DY", "O", "LSE"])}
@compute @workgroup_size(64)
fn main(${flatParams}) {
  ${flatIndex}
  if (index >= u.rows) {
    return;
  }
  let i = index % u.t;
  let h = (index / u.t) % u.heads;
  let bi = index / (u.t * u.heads);
  let at = ((bi * u.t + i) * u.heads + h) * HD;
  var d = 0.0;
  for (var c = 0; c < HD; c++) {
    d = d + DY[at + c] * O[at + c];
  }
  ST[2 * index] = LSE[index];
  ST[2 * index + 1] = d;
}`;
}

function gradQCode(hd: number, rope: boolean): string {
  return `${head(hd, ["DQ"], withTable(rope, ["Q", "K", "V", "ST", "DY"]))}
${rotFn("Q", rope)}
${rotFn("K", rope)}
${unrotFn(rope)}
${QUERY_ROW}
  let lse = ST[2 * index];
  let delta = ST[2 * index + 1];
  ${KEYS_SEEN}
  var g : array<f32, HD>;
  for (var j = 0; j < n; j++) {
    let kAt = ((bi * u.s + j) * u.kvHeads + kh) * HD;
    let kr = rotK(kAt, j);
    var d = 0.0;
    var dp = 0.0;
    for (var c = 0; c < HD; c++) {
      d = d + qr[c] * kr[c];
      dp = dp + DY[qAt + c] * V[kAt + c];
    }
    let p = exp(u.scale * d - lse);
    let ds = p * (dp - delta) * u.scale;
    for (var c = 0; c < HD; c++) {
      g[c] = g[c] + ds * kr[c];
    }
  }
  let r = unrot(g, i);
  for (var c = 0; c < HD; c++) {
    DQ[qAt + c] = r[c];
  }
}`;
}

function gradKvCode(hd: number, rope: boolean): string {
  return `${head(hd, ["DK", "DV"], withTable(rope, ["Q", "K", "V", "ST", "DY"]))}
${rotFn("Q", rope)}
${rotFn("K", rope)}
${unrotFn(rope)}
@compute @workgroup_size(64)
fn main(${flatParams}) {
  ${flatIndex}
  if (index >= u.rows) {
    return;
  }
  let j = index % u.s;
  let kh = (index / u.s) % u.kvHeads;
  let bi = index / (u.s * u.kvHeads);
  let group = u.heads / u.kvHeads;
  let kAt = ((bi * u.s + j) * u.kvHeads + kh) * HD;
  let kr = rotK(kAt, j);
  var first = 0;
  if (u.causal != 0) {
    first = max(0, j - u.s + u.t);
  }
  var gk : array<f32, HD>;
  var gv : array<f32, HD>;
  for (var h = kh * group; h < (kh + 1) * group; h++) {
    for (var i = first; i < u.t; i++) {
      let qAt = ((bi * u.t + i) * u.heads + h) * HD;
      let qr = rotQ(qAt, i);
      let row = (bi * u.heads + h) * u.t + i;
      var d = 0.0;
      var dp = 0.0;
      for (var c = 0; c < HD; c++) {
        d = d + qr[c] * kr[c];
        dp = dp + DY[qAt + c] * V[kAt + c];
      }
      let p = exp(u.scale * d - ST[2 * row]);
      for (var c = 0; c < HD; c++) {
        gv[c] = gv[c] + p * DY[qAt + c];
      }
      let ds = p * (dp - ST[2 * row + 1]) * u.scale;
      for (var c = 0; c < HD; c++) {
        gk[c] = gk[c] + ds * qr[c];
      }
    }
  }
  let r = unrot(gk, j);
  for (var c = 0; c < HD; c++) {
    DK[kAt + c] = r[c];
    DV[kAt + c] = gv[c];
  }
}`;
}

/** The shape of one call: batch, queries, keys, query heads, key/value heads, head dim. */
export interface AttentionDims {
  b: number;
  t: number;
  s: number;
  heads: number;
  kvHeads: number;
  hd: number;
}

/** The dims of q [b, t, heads, hd] against k [b, s, kvHeads, hd]. */
export function attentionDims(q: tf.TensorInfo, k: tf.TensorInfo): AttentionDims {
  const [b, t, heads, hd] = q.shape as [number, number, number, number];
  const [, s, kvHeads] = k.shape as [number, number, number, number];
  return { b, t, s, heads, kvHeads, hd };
}

function uniforms(d: AttentionDims, rows: number, a: AttentionAttrs): Uniform[] {
  return [
    ...[rows, d.b, d.t, d.s, d.heads, d.kvHeads, a.causal ? 1 : 0].map((x): Uniform => ({
      type: "int32",
      data: [x],
    })),
    { type: "float32", data: [a.scale] },
  ];
}

const inputsOf = (named: tf.NamedTensorInfoMap, keys: string[]): tf.TensorInfo[] =>
  keys.map((k) => {
    const t = named[k];
    if (t === undefined) throw new Error(`fused attention on webgpu: input \`${k}\` is missing`);
    return t;
  });

const qkv = (a: AttentionAttrs, rest: string[]): string[] =>
  a.rope ? ["q", "k", "v", "table", ...rest] : ["q", "k", "v", ...rest];

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as AttentionAttrs;
  const ins = inputsOf(inputs as tf.NamedTensorInfoMap, qkv(a, []));
  const d = attentionDims(ins[0]!, ins[1]!);
  const rows = d.b * d.heads * d.t;
  return rawDispatch(
    backend,
    forwardCode(d.hd, a.rope),
    [
      [d.b, d.t, d.heads, d.hd],
      [d.b, d.heads, d.t],
    ],
    ins,
    uniforms(d, rows, a),
    rows,
  );
};

const stats: tf.KernelFunc = ({ inputs, backend }) => {
  const ins = inputsOf(inputs as tf.NamedTensorInfoMap, ["dy", "o", "lse"]);
  const [b, t, heads, hd] = ins[1]!.shape as [number, number, number, number];
  const d = { b, t, s: t, heads, kvHeads: heads, hd };
  const rows = b * heads * t;
  const a = { scale: 1, causal: false, rope: false };
  return rawDispatch(
    backend,
    statsCode(hd),
    [[b, heads, t, 2]],
    ins,
    uniforms(d, rows, a),
    rows,
  )[0]!;
};

const gradQ: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as AttentionAttrs;
  const ins = inputsOf(inputs as tf.NamedTensorInfoMap, qkv(a, ["stats", "dy"]));
  const d = attentionDims(ins[0]!, ins[1]!);
  const rows = d.b * d.heads * d.t;
  return rawDispatch(
    backend,
    gradQCode(d.hd, a.rope),
    [[d.b, d.t, d.heads, d.hd]],
    ins,
    uniforms(d, rows, a),
    rows,
  )[0]!;
};

const gradKv: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as AttentionAttrs;
  const ins = inputsOf(inputs as tf.NamedTensorInfoMap, qkv(a, ["stats", "dy"]));
  const d = attentionDims(ins[0]!, ins[1]!);
  const rows = d.b * d.kvHeads * d.s;
  const shape = [d.b, d.s, d.kvHeads, d.hd];
  return rawDispatch(
    backend,
    gradKvCode(d.hd, a.rope),
    [shape, shape],
    ins,
    uniforms(d, rows, a),
    rows,
  );
};

/** Registers the four kernels for webgpu under `names` (those of ops/fused-attention.ts). */
export function registerWebgpuAttention(names: {
  forward: string;
  stats: string;
  gradQ: string;
  gradKv: string;
}): void {
  for (const [kernelName, kernelFunc] of [
    [names.forward, forward],
    [names.stats, stats],
    [names.gradQ, gradQ],
    [names.gradKv, gradKv],
  ] as const)
    if (tf.getKernel(kernelName, "webgpu") === undefined)
      tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
}
