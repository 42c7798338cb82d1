// `norm_eps` reaches every norm of the runtime: a Decoder's block and final norms (against a
// hand-computed forward pass, with the fused RMSNorm kernel and with LayerNorm), the query/key
// norms of attention (against a hand-computed attention), and the KV-cached decoder (against the
// uncached one). Each also differs from the default 1e-5, so a norm that ignored the config's eps
// would fail it.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { decoder, decoderConfig } from "../../src/components/decoder.js";
import type { Config } from "../../src/components/types.js";
import { attention } from "../../src/runtime/layers/attention.js";
import { decoderForwardCached, disposeCache } from "../../src/runtime/layers/decoder-cached.js";
import { decoderForward } from "../../src/runtime/layers/decoder.js";
import { NORM_EPS } from "../../src/runtime/layers/norm.js";
import type { ParamScope } from "../../src/runtime/params.js";
import { useBackend } from "./helpers.js";

/** A ParamScope over plain arrays (shapes from the Decoder's manifest). */
function scopeOf(values: Map<string, tf.Tensor>, prefix = ""): ParamScope {
  const full = (n: string) => (prefix === "" ? n : `${prefix}.${n}`);
  return {
    get: (n) => {
      const t = values.get(full(n));
      if (t === undefined) throw new Error(`no weight ${full(n)}`);
      return t;
    },
    scope: (p) => scopeOf(values, full(p)),
  };
}

function resolved(config: Config) {
  const r = decoder.resolve(config, {});
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { config: r.config, typed: decoderConfig(r.config) };
}

const eye = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));

/** Seeded values in [-scale, scale). */
function seeded(n: number, seed: number, scale: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 2 * scale - scale;
  });
}

// Width 4, one head of width 4, vocab 4: the value and output projections, the MLP's up and down
// and the head are identities, so with one position per row (attention over one key is that key's
// value) the forward pass is h1 = e + N1(e), h2 = h1 + relu(N2(h1)), logits = N3(h2).
const W = 4;
const EMBED = [
  [0.05, -0.12, 0.08, 0.02],
  [-0.03, 0.07, 0.11, -0.09],
  [0.14, 0.01, -0.06, 0.04],
  [-0.1, -0.02, 0.03, 0.13],
];
const SCALE = {
  attn_norm: [1, 0.5, 2, 1.5],
  mlp_norm: [0.8, 1.2, 1, 0.6],
  final_norm: [1, 1, 1, 1],
};
const BIAS = {
  attn_norm: [0.01, 0, -0.02, 0.03],
  mlp_norm: [0, 0.02, 0, -0.01],
  final_norm: [0, 0, 0, 0],
};

function handNorm(x: number[], name: keyof typeof SCALE, kind: string, eps: number): number[] {
  const w = SCALE[name];
  if (kind === "rms") {
    const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
    return x.map((v, i) => (v / Math.sqrt(ms + eps)) * w[i]!);
  }
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * w[i]! + BIAS[name][i]!);
}

function handLogits(token: number, kind: string, eps: number): number[] {
  const e = EMBED[token]!;
  const h1 = e.map((v, i) => v + handNorm(e, "attn_norm", kind, eps)[i]!);
  const m = handNorm(h1, "mlp_norm", kind, eps);
  const h2 = h1.map((v, i) => v + Math.max(0, m[i]!));
  return handNorm(h2, "final_norm", kind, eps);
}

function identityDecoder(kind: string, eps: number) {
  const { typed, config } = resolved({
    vocab: W,
    width: W,
    depth: 1,
    heads: 1,
    mlp: { fn: "relu", hidden: W },
    norm: kind,
    position: "none",
    context: 8,
    norm_eps: eps,
  });
  const values = new Map<string, tf.Tensor>();
  for (const t of decoder.manifest(config)) {
    const [, last] = /(?:^|\.)([a-z_]+)\.(weight|bias)$/.exec(t.name) ?? [];
    let v: number[] | number[][];
    if (t.name === "embed.weight") v = EMBED;
    else if (last !== undefined && last in SCALE)
      v = t.name.endsWith(".weight")
        ? SCALE[last as keyof typeof SCALE]
        : BIAS[last as keyof typeof BIAS];
    else if (t.shape.length === 2)
      v = eye(W); // v, o, q, k, mlp up/down, head
    else v = new Array<number>(t.shape[0]!).fill(0);
    values.set(t.name, tf.tensor(v.flat(), [...t.shape]));
  }
  return { typed, p: scopeOf(values) };
}

function embeddings(tokens: number[]): tf.Tensor2D {
  return tf.tensor2d(tokens.map((t) => EMBED[t]!));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`norm_eps on ${backend}`, () => {
    for (const kind of ["rms", "layer"]) {
      it(`a ${kind} Decoder's block and final norms add the config's eps`, async () => {
        await useBackend(backend);
        const tokens = [0, 1, 2, 3];
        const logitsAt = (eps: number) => {
          const { typed, p } = identityDecoder(kind, eps);
          expect(typed.normEps).toBe(eps);
          // four rows of one position each
          return decoderForward(p, typed, embeddings(tokens), 4, 1).dataSync();
        };
        const big = logitsAt(1e-2);
        const small = logitsAt(NORM_EPS);
        const want = (eps: number) => tokens.flatMap((t) => handLogits(t, kind, eps));
        expect(maxDiff(big, want(1e-2))).toBeLessThan(1e-5);
        expect(maxDiff(small, want(NORM_EPS))).toBeLessThan(1e-5);
        // the two eps give logits far apart: the activations here have variances near 0.01
        expect(maxDiff(big, small)).toBeGreaterThan(0.05);
      });
    }

    it("attention's query/key norms add the config's eps", async () => {
      await useBackend(backend);
      // one head of width 2 over two positions, causal: the second query sees both keys
      const wq = [0.05, 0.02, -0.04, 0.06];
      const wk = [0.03, -0.05, 0.07, 0.01];
      const x = [
        [0.3, -0.2],
        [-0.1, 0.4],
      ];
      const values = new Map<string, tf.Tensor>([
        ["q.weight", tf.tensor2d(wq, [2, 2])],
        ["k.weight", tf.tensor2d(wk, [2, 2])],
        ["v.weight", tf.tensor2d(eye(2).flat(), [2, 2])],
        ["o.weight", tf.tensor2d(eye(2).flat(), [2, 2])],
        ["q_norm.weight", tf.tensor1d([1, 1])],
        ["k_norm.weight", tf.tensor1d([1, 1])],
      ]);
      const run = (eps: number) =>
        attention(
          scopeOf(values),
          {
            width: 2,
            heads: 1,
            kvHeads: 1,
            headDim: 2,
            qkvBias: false,
            outBias: false,
            qkNorm: "full",
            normKind: "rms",
            normEps: eps,
            causal: true,
          },
          tf.tensor3d([x], [1, 2, 2]),
        ).dataSync();
      const hand = (eps: number): number[] => {
        const proj = (w: number[], r: number[]) => [
          r[0]! * w[0]! + r[1]! * w[2]!,
          r[0]! * w[1]! + r[1]! * w[3]!,
        ];
        const rms = (v: number[]) => {
          const s = Math.sqrt((v[0]! ** 2 + v[1]! ** 2) / 2 + eps);
          return v.map((a) => a / s);
        };
        const q = x.map((r) => rms(proj(wq, r)));
        const k = x.map((r) => rms(proj(wk, r)));
        const out: number[] = [...x[0]!];
        const s0 = (q[1]![0]! * k[0]![0]! + q[1]![1]! * k[0]![1]!) / Math.sqrt(2);
        const s1 = (q[1]![0]! * k[1]![0]! + q[1]![1]! * k[1]![1]!) / Math.sqrt(2);
        const p0 = 1 / (1 + Math.exp(s1 - s0));
        out.push(p0 * x[0]![0]! + (1 - p0) * x[1]![0]!, p0 * x[0]![1]! + (1 - p0) * x[1]![1]!);
        return out;
      };
      // the projections are small (mean squares about 1e-4), so eps 1e-2 nearly cancels the norm
      expect(maxDiff(run(1e-2), hand(1e-2))).toBeLessThan(1e-6);
      expect(maxDiff(run(NORM_EPS), hand(NORM_EPS))).toBeLessThan(1e-6);
      expect(maxDiff(run(1e-2), run(NORM_EPS))).toBeGreaterThan(1e-3);
    });

    it("the KV-cached decoder uses the config's eps, as the uncached one does", async () => {
      await useBackend(backend);
      const vocab = 8;
      const width = 8;
      const { typed, config } = resolved({
        vocab,
        width,
        depth: 2,
        heads: 2,
        mlp: { fn: "swiglu", hidden: 12 },
        qk_norm: "head",
        context: 8,
        norm_eps: 1e-2,
      });
      const values = new Map<string, tf.Tensor>();
      decoder.manifest(config).forEach((t, i) => {
        const n = t.shape.reduce((a, b) => a * b, 1);
        const v = seeded(n, 17 + i, 0.3).map((a) => (t.init === "ones" ? 1 + a : a));
        values.set(t.name, tf.tensor(v, [...t.shape]));
      });
      const p = scopeOf(values);
      const emb = tf.tensor2d(seeded(3 * width, 5, 0.1), [3, width]);
      const full = decoderForward(p, typed, emb, 1, 3).dataSync();
      const first = decoderForwardCached(p, typed, tf.slice(emb, [0, 0], [2, -1]), 1, 2, undefined);
      const next = decoderForwardCached(
        p,
        typed,
        tf.slice(emb, [2, 0], [1, -1]),
        1,
        1,
        first.cache,
      );
      const cached = [...first.logits.dataSync(), ...next.logits.dataSync()];
      expect(maxDiff(cached, full)).toBeLessThan(1e-5);
      // and the same decoder at the default eps computes something else
      const at1e5 = decoderForward(p, { ...typed, normEps: NORM_EPS }, emb, 1, 3).dataSync();
      expect(maxDiff(at1e5, full)).toBeGreaterThan(1e-3);
      disposeCache(next.cache);
    });
  });
}
