// GELU in its three forms as two fused kernels joined by a custom gradient: the tanh form (GPT-2's;
// PyTorch's `approximate="tanh"`), 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))); the exact
// form, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's default, OpenCLIP's and timm's towers);
// and quick GELU, x sigmoid(1.702 x) (OpenAI CLIP's). Op by op each is 7 to 9 dispatches forward
// and 10 to 12 backward; fused, 1 and 1: JS loops on wasm and cpu (host-memory.ts), WGSL on webgpu
// (webgpu-elementwise.ts). The form is the kernels' `form` attribute. Whether each runs is
// fused-switch.ts's (`gelu`, `geluExact`, `quickGelu`).
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn, type FusedOp } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuGelu } from "./webgpu-elementwise.js";

export const GELU_KERNEL = "MmcGelu";
export const GELU_GRAD_KERNEL = "MmcGeluGrad";

/** The kernels' `form` attribute. */
export const GELU_FORMS = { tanh: 0, exact: 1, quick: 2 } as const;
export type GeluForm = keyof typeof GELU_FORMS;

const C = Math.sqrt(2 / Math.PI);
const QUICK = 1.702;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * erf by Abramowitz and Stegun 7.1.26 (within 1.5e-7), the formula tfjs's cpu and webgpu Erf
 * kernels use.
 */
export function erfApprox(x: number): number {
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const e = 1 - poly * Math.exp(-a * a);
  return x < 0 ? -e : e;
}

function geluValue(form: number, v: number): number {
  if (form === GELU_FORMS.exact) return 0.5 * v * (1 + erfApprox(v * Math.SQRT1_2));
  if (form === GELU_FORMS.quick) return v / (1 + Math.exp(-QUICK * v));
  return 0.5 * v * (1 + Math.tanh(C * (v + 0.044715 * v * v * v)));
}

function geluSlope(form: number, v: number): number {
  if (form === GELU_FORMS.exact)
    return 0.5 * (1 + erfApprox(v * Math.SQRT1_2)) + v * Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
  if (form === GELU_FORMS.quick) {
    const s = 1 / (1 + Math.exp(-QUICK * v));
    return s + QUICK * v * s * (1 - s);
  }
  const t = Math.tanh(C * (v + 0.044715 * v * v * v));
  const inner = C * (1 + 3 * 0.044715 * v * v);
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * inner;
}

function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const form = (attrs as { form: number }).form;
    const mem = hostMemory(backendName, backend);
    const [xi] = float32Inputs(GELU_KERNEL, inputs, ["x"]) as [tf.TensorInfo];
    const yo = mem.alloc(xi.shape);
    const [x, y] = [xi, yo].map((t) => mem.view(t));
    if (!x || !y) return yo;
    for (let i = 0; i < x.length; i++) y[i] = geluValue(form, x[i] as number);
    return yo;
  };
}

/** Inputs dy, x; output dy times the form's derivative at x. */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const form = (attrs as { form: number }).form;
    const mem = hostMemory(backendName, backend);
    const [dyi, xi] = float32Inputs(GELU_GRAD_KERNEL, inputs, ["dy", "x"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const dxo = mem.alloc(xi.shape);
    const [dy, x, dx] = [dyi, xi, dxo].map((t) => mem.view(t));
    if (!dy || !x || !dx) return dxo;
    for (let i = 0; i < x.length; i++) dx[i] = (dy[i] as number) * geluSlope(form, x[i] as number);
    return dxo;
  };
}

for (const backendName of ["wasm", "cpu"]) {
  for (const [kernelName, make] of [
    [GELU_KERNEL, forwardKernel],
    [GELU_GRAD_KERNEL, backwardKernel],
  ] as const)
    if (tf.getKernel(kernelName, backendName) === undefined)
      tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
}

registerWebgpuGelu({ forward: GELU_KERNEL, backward: GELU_GRAD_KERNEL });

const SWITCH: Record<GeluForm, FusedOp> = { tanh: "gelu", exact: "geluExact", quick: "quickGelu" };

/** Whether GELU of x in `form` runs fused here (that form's switch on, float32). */
export function hasFusedGelu(x: tf.Tensor, form: GeluForm = "tanh"): boolean {
  return fusedOn(SWITCH[form], GELU_KERNEL) && x.dtype === "float32";
}

const fused = Object.fromEntries(
  (Object.keys(GELU_FORMS) as GeluForm[]).map((form) => {
    const attrs = { form: GELU_FORMS[form] };
    const g = customGrad(([x], save) => {
      const y = tf.engine().runKernel(GELU_KERNEL, { x: x! }, attrs) as tf.Tensor;
      save([x!]);
      return {
        value: y,
        gradFunc: (dy, [sx]) =>
          tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: sx! }, attrs) as tf.Tensor,
      };
    });
    return [form, g];
  }),
) as Record<GeluForm, (x: tf.Tensor) => tf.Tensor>;

/** GELU in `form` (default the tanh form) in one kernel forward and one backward. */
export function fusedGelu(x: tf.Tensor, form: GeluForm = "tanh"): tf.Tensor {
  return fused[form](x);
}
