// A plain hand-written tfjs decoder (GPT-2 style: learned positions, LayerNorm, GELU MLP) using
// tf.matMul with its built-in gradient (transpose flags) and 4-D attention products, as a user
// would write it. The benchmark compares the mmc runtime's training step against it.
import * as tf from "@tensorflow/tfjs-core";
import { gatherRows } from "../dist/runtime/index.js";

function layerNorm(x, w, b) {
  const mean = tf.mean(x, -1, true);
  const c = tf.sub(x, mean);
  const v = tf.mean(tf.square(c), -1, true);
  return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-5))), w), b);
}

function gelu(x) {
  const inner = tf.mul(
    tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)),
    Math.sqrt(2 / Math.PI),
  );
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/** Same tensors as the mmc Decoder with position: learned, norm: layer, biases: none, mlp: gelu. */
export function plainDecoderLoss(get, cfg, tokens, targets, mask) {
  const { width: C, depth, heads: H, vocab } = cfg;
  const [B, T] = tokens.shape;
  const hd = C / H;
  const dense = (x, name) => tf.matMul(x, get(`${name}.weight`));
  let h = tf.reshape(gatherRows(get("llm.embed.weight"), tf.reshape(tokens, [-1])), [B, T, C]);
  h = tf.add(h, tf.slice(get("llm.pos_embed"), [0, 0], [T, C]));
  h = tf.reshape(h, [B * T, C]);
  const maskData = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskData[i * T + j] = -1e9;
  const causal = tf.tensor2d(maskData, [T, T]);
  for (let i = 0; i < depth; i++) {
    const p = `llm.layers.${i}`;
    const a = layerNorm(h, get(`${p}.attn_norm.weight`), get(`${p}.attn_norm.bias`));
    const split = (x) => tf.transpose(tf.reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    const q = split(dense(a, `${p}.attn.q`));
    const k = split(dense(a, `${p}.attn.k`));
    const v = split(dense(a, `${p}.attn.v`));
    const s = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), causal);
    const ctx = tf.matMul(tf.softmax(s), v);
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * T, C]);
    h = tf.add(h, dense(merged, `${p}.attn.o`));
    const m = layerNorm(h, get(`${p}.mlp_norm.weight`), get(`${p}.mlp_norm.bias`));
    h = tf.add(h, dense(gelu(dense(m, `${p}.mlp.up`)), `${p}.mlp.down`));
  }
  h = layerNorm(h, get("llm.final_norm.weight"), get("llm.final_norm.bias"));
  const logits = tf.matMul(h, get("llm.head.weight"));
  const lse = tf.log(tf.sum(tf.exp(logits), -1)); // small logits at init: no max shift needed
  const onehot = tf.cast(tf.oneHot(targets, vocab, 1, 0, "int32"), "float32");
  const picked = tf.sum(tf.mul(logits, onehot), -1);
  return tf.div(tf.sum(tf.mul(tf.sub(lse, picked), mask)), tf.sum(mask));
}
