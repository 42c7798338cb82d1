// The feed-forward block: `up` then an activation (GELU, exact GELU, quick GELU, ReLU) then `down`, or
// SwiGLU with a `gate` (down(silu(gate(x)) * up(x))). Runs on 2-D activations [tokens, width].
import * as tf from "@tensorflow/tfjs-core";
import type { MlpFn } from "../../components/types.js";
import { MLP, PARAM } from "../../components/weight-names.js";
import { customGrad } from "../ops/custom-grad.js";
import { fusedSwiGlu, hasFusedSwiGlu } from "../ops/fused-elementwise.js";
import { fusedGelu, hasFusedGelu } from "../ops/fused-gelu.js";
import { linear } from "../ops/matmul.js";
import type { ParamScope } from "../params.js";

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * sigmoid(2 sqrt(2 / pi) (x + 0.044715 x^3)), which is (1 + tanh(sqrt(2 / pi) (x + 0.044715
 * x^3))) / 2: the tanh form's factor through a sigmoid, so GELU is x times it. wasm's Sigmoid is
 * XNNPACK's vectorised kernel and its Tanh a scalar one, 17x slower (a [1024, 2048] tanh took
 * 29 ms, 10% of the mid decoder's step).
 */
function geluGate(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), 2 * GELU_C));
}

// One tape node: only x is kept for the backward pass instead of every intermediate.
const geluOneNode = customGrad(([x], save) => {
  save([x as tf.Tensor]);
  return {
    value: tf.tidy(() => tf.mul(x as tf.Tensor, geluGate(x as tf.Tensor))),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const sx = saved[0] as tf.Tensor;
        const s = geluGate(sx);
        // d/dx [x s] = s + x s (1 - s) 2 sqrt(2/pi) (1 + 3 * 0.044715 x^2)
        const inner = tf.mul(tf.add(tf.mul(tf.square(sx), 3 * 0.044715), 1), 2 * GELU_C);
        const slope = tf.add(s, tf.mul(tf.mul(tf.mul(sx, s), tf.sub(1, s)), inner));
        return tf.mul(dy, slope);
      }),
  };
});

/**
 * GELU, tanh approximation (GPT-2's form; PyTorch's `approximate="tanh"`): two fused kernels
 * where they run (ops/fused-gelu.ts), else `geluOps`.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return hasFusedGelu(x) ? fusedGelu(x) : geluOps(x);
}

/** GELU (tanh form) op by op, as one tape node (any backend). */
export function geluOps(x: tf.Tensor): tf.Tensor {
  return geluOneNode(x);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// One tape node, as GELU's: x Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2; d/dx = Phi(x) +
// x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi). tf.erf is a kernel on cpu, wasm, webgpu and
// tensorflow (cpu's is Abramowitz-Stegun 7.1.26, within 1.5e-7).
const geluExactOneNode = customGrad(([x], save) => {
  save([x as tf.Tensor]);
  return {
    value: tf.tidy(() =>
      tf.mul(tf.mul(x as tf.Tensor, 0.5), tf.add(tf.erf(tf.mul(x as tf.Tensor, SQRT1_2)), 1)),
    ),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const sx = saved[0] as tf.Tensor;
        const cdf = tf.mul(tf.add(tf.erf(tf.mul(sx, SQRT1_2)), 1), 0.5);
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
        return tf.mul(dy, tf.add(cdf, tf.mul(sx, pdf)));
      }),
  };
});

/**
 * The exact GELU, x Phi(x) with the normal CDF through erf (PyTorch's default `F.gelu`, Hugging
 * Face's `hidden_act: gelu`; OpenCLIP's and timm's towers).
 */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return hasFusedGelu(x, "exact") ? fusedGelu(x, "exact") : geluExactOps(x);
}

/** The exact GELU op by op, as one tape node (any backend). */
export function geluExactOps(x: tf.Tensor): tf.Tensor {
  return geluExactOneNode(x);
}

const QUICK = 1.702;

// One tape node, as GELU's: x sigmoid(1.702 x); d/dx = s + 1.702 x s (1 - s).
const quickGeluOneNode = customGrad(([x], save) => {
  save([x as tf.Tensor]);
  return {
    value: tf.tidy(() => tf.mul(x as tf.Tensor, tf.sigmoid(tf.mul(x as tf.Tensor, QUICK)))),
    gradFunc: (dy, saved) =>
      tf.tidy(() => {
        const sx = saved[0] as tf.Tensor;
        const s = tf.sigmoid(tf.mul(sx, QUICK));
        return tf.mul(dy, tf.add(s, tf.mul(tf.mul(tf.mul(sx, QUICK), s), tf.sub(1, s))));
      }),
  };
});

/** OpenAI CLIP's `quick_gelu`: x sigmoid(1.702 x) (Hugging Face's `hidden_act: quick_gelu`). */
export function quickGelu(x: tf.Tensor): tf.Tensor {
  return hasFusedGelu(x, "quick") ? fusedGelu(x, "quick") : quickGeluOps(x);
}

/** Quick GELU op by op, as one tape node (any backend). */
export function quickGeluOps(x: tf.Tensor): tf.Tensor {
  return quickGeluOneNode(x);
}

export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** silu(gate) * up: one fused kernel where the backend has it (ops/fused-elementwise.ts). */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return hasFusedSwiGlu(gate, up) ? fusedSwiGlu(gate, up) : swigluOps(gate, up);
}

/** silu(gate) * up op by op (any backend). */
export function swigluOps(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return tf.mul(silu(gate), up);
}

/** The dense layer stored under `p.scope(name)`: `weight` [in, out], and `bias` [out] if `bias`. */
function dense(p: ParamScope, name: string, x: tf.Tensor, bias: boolean): tf.Tensor {
  const s = p.scope(name);
  return linear(x, s.get(PARAM.weight), bias ? s.get(PARAM.bias) : undefined);
}

/**
 * x [n, width] -> [n, width] through the MLP stored under `p` (`up`, `down`, `gate`); `bias`
 * says whether its linears have biases (the component config decides, as for the manifest).
 */
export function mlp(p: ParamScope, fn: MlpFn, x: tf.Tensor, bias: boolean): tf.Tensor {
  const up = dense(p, MLP.up, x, bias);
  let hidden: tf.Tensor;
  if (fn === "swiglu") hidden = swiglu(dense(p, MLP.gate, x, bias), up);
  else if (fn === "gelu") hidden = gelu(up);
  else if (fn === "gelu_exact") hidden = geluExact(up);
  else if (fn === "quick_gelu") hidden = quickGelu(up);
  else hidden = tf.relu(up);
  return dense(p, MLP.down, hidden, bias);
}

export { dense };
