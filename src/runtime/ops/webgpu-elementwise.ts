// SwiGLU's and rotary positions' fused kernels (ops/fused-elementwise.ts) on webgpu, as WGSL
// programs run through tfjs-backend-webgpu's program runner: SwiGLU one dispatch forward and two
// backward (one program per gradient), rotary one each way (the backward is the inverse rotation).
import * as tf from "@tensorflow/tfjs-core";
import { flatProgram, type Uniform, type WebgpuBackendLike } from "./webgpu-program.js";

const run = (
  backend: unknown,
  p: ReturnType<typeof flatProgram>,
  inputs: tf.TensorInfo[],
  uniforms: Uniform[] = [],
) => (backend as WebgpuBackendLike).runWebGPUProgram(p, inputs, "float32", uniforms);

const SIG = `let g = G[index];
          let s = 1.0 / (1.0 + exp(-g));`;

const swiglu: tf.KernelFunc = ({ inputs, backend }) => {
  const { gate, up } = inputs as Record<"gate" | "up", tf.TensorInfo>;
  return run(
    backend,
    flatProgram(
      "swiglu",
      [...gate.shape],
      ["G", "U"],
      "",
      `${SIG}
          setOutputAtIndex(index, g * s * U[index]);`,
    ),
    [gate, up],
  );
};

const swigluGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, gate, up } = inputs as Record<"dy" | "gate" | "up", tf.TensorInfo>;
  const shape = [...gate.shape];
  const dg = run(
    backend,
    flatProgram(
      "swiglu_dgate",
      shape,
      ["DY", "G", "U"],
      "",
      `${SIG}
          setOutputAtIndex(index, DY[index] * U[index] * s * (1.0 + g * (1.0 - s)));`,
    ),
    [dy, gate, up],
  );
  const du = run(
    backend,
    flatProgram(
      "swiglu_dup",
      shape,
      ["DY", "G"],
      "",
      `${SIG}
          setOutputAtIndex(index, DY[index] * g * s);`,
    ),
    [dy, gate],
  );
  return [dg, du];
};

const rope: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, cos, sin } = inputs as Record<"x" | "cos" | "sin", tf.TensorInfo>;
  const sign = (attrs as { sign: number }).sign;
  const hd = x.shape[x.shape.length - 1] as number;
  const t = x.shape[x.shape.length - 2] as number;
  return run(
    backend,
    flatProgram(
      "rope",
      [...x.shape],
      ["X", "C", "S"],
      "hd : i32, t : i32, sign : f32,",
      `let hd = uniforms.hd;
          let half = hd / 2;
          let row = index / hd;
          let j = index - row * hd;
          let o = row * hd;
          let i = j % half;
          let p = (row % uniforms.t) * half + i;
          let c = C[p];
          let s = uniforms.sign * S[p];
          let x1 = X[o + i];
          let x2 = X[o + half + i];
          if (j < half) {
            setOutputAtIndex(index, x1 * c - x2 * s);
          } else {
            setOutputAtIndex(index, x1 * s + x2 * c);
          }`,
    ),
    [x, cos, sin],
    [
      { type: "int32", data: [hd] },
      { type: "int32", data: [t] },
      { type: "float32", data: [sign] },
    ],
  );
};

/** Registers the kernels for webgpu under `names` (those of ops/fused-elementwise.ts). */
export function registerWebgpuElementwise(names: {
  swiglu: string;
  swigluGrad: string;
  rope: string;
}): void {
  for (const [kernelName, kernelFunc] of [
    [names.swiglu, swiglu],
    [names.swigluGrad, swigluGrad],
    [names.rope, rope],
  ] as const)
    if (tf.getKernel(kernelName, "webgpu") === undefined)
      tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
}

// tanh through exp of a non-positive number, as tfjs's own webgpu tanh: WGSL's tanh may give NaN
// for large |x| on some implementations.
const GELU_T = `let x = X[index];
          let a = 0.7978845608028654 * (x + 0.044715 * x * x * x);
          let e = exp(-2.0 * abs(a));
          let t = sign(a) * (1.0 - e) / (1.0 + e);`;

// erf(x / sqrt 2) by Abramowitz and Stegun 7.1.26, as tfjs's webgpu and cpu Erf kernels.
const GELU_ERF = `let x = X[index];
          let z = x * 0.7071067811865476;
          let az = abs(z);
          let p = 1.0 / (1.0 + 0.3275911 * az);
          let poly = ((((1.061405429 * p - 1.453152027) * p + 1.421413741) * p - 0.284496736) * p
            + 0.254829592) * p;
          let erf = sign(z) * (1.0 - poly * exp(-az * az));`;

// sigmoid(1.702 x) through exp of a non-positive number (no overflow for large |x|).
const GELU_Q = `let x = X[index];
          let q = 1.702 * x;
          let eq = exp(-abs(q));
          let s = select(eq / (1.0 + eq), 1.0 / (1.0 + eq), q >= 0.0);`;

/** Each form's WGSL (fused-gelu.ts GELU_FORMS order): the prologue, the value, the slope. */
const GELU_WGSL: readonly (readonly [string, string, string])[] = [
  [
    GELU_T,
    "0.5 * x * (1.0 + t)",
    `0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 3.0 * 0.044715 * x * x)`,
  ],
  [
    GELU_ERF,
    "0.5 * x * (1.0 + erf)",
    "0.5 * (1.0 + erf) + x * exp(-0.5 * x * x) * 0.3989422804014327",
  ],
  [GELU_Q, "x * s", "s + 1.702 * x * s * (1.0 - s)"],
];

function geluWgsl(form: number): readonly [string, string, string] {
  const w = GELU_WGSL[form];
  if (w === undefined) throw new Error(`MmcGelu: no form ${form}`);
  return w;
}

const gelu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const form = (attrs as { form: number }).form;
  const [prologue, value] = geluWgsl(form);
  return run(
    backend,
    flatProgram(
      `gelu${form}`,
      [...x.shape],
      ["X"],
      "",
      `${prologue}
          setOutputAtIndex(index, ${value});`,
    ),
    [x],
  );
};

const geluGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs as Record<"dy" | "x", tf.TensorInfo>;
  const form = (attrs as { form: number }).form;
  const [prologue, , slope] = geluWgsl(form);
  return run(
    backend,
    flatProgram(
      `gelu_grad${form}`,
      [...x.shape],
      ["DY", "X"],
      "",
      `${prologue}
          setOutputAtIndex(index, DY[index] * (${slope}));`,
    ),
    [dy, x],
  );
};

/** Registers GELU's two kernels for webgpu under `names` (those of ops/fused-gelu.ts). */
export function registerWebgpuGelu(names: { forward: string; backward: string }): void {
  for (const [kernelName, kernelFunc] of [
    [names.forward, gelu],
    [names.backward, geluGrad],
  ] as const)
    if (tf.getKernel(kernelName, "webgpu") === undefined)
      tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
}
