// GELU in its tanh form (GPT-2's; PyTorch's `approximate="tanh"`), 0.5 x (1 + tanh(sqrt(2 / pi)
// (x + 0.044715 x^3))), as two fused kernels joined by a custom gradient. Op by op it is about 8
// dispatches forward and 12 backward; fused, 1 and 1: JS loops on wasm and cpu (host-memory.ts),
// WGSL on webgpu (webgpu-elementwise.ts). Whether it runs is fused-switch.ts's.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuGelu } from "./webgpu-elementwise.js";

export const GELU_KERNEL = "MmcGelu";
export const GELU_GRAD_KERNEL = "MmcGeluGrad";

const C = Math.sqrt(2 / Math.PI);

function forwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [xi] = float32Inputs(GELU_KERNEL, inputs, ["x"]) as [tf.TensorInfo];
    const yo = mem.alloc(xi.shape);
    const [x, y] = [xi, yo].map((t) => mem.view(t));
    if (!x || !y) return yo;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      y[i] = 0.5 * v * (1 + Math.tanh(C * (v + 0.044715 * v * v * v)));
    }
    return yo;
  };
}

/** Inputs dy, x; output dy * ((1 + t) / 2 + x / 2 (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)). */
function backwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [dyi, xi] = float32Inputs(GELU_GRAD_KERNEL, inputs, ["dy", "x"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const dxo = mem.alloc(xi.shape);
    const [dy, x, dx] = [dyi, xi, dxo].map((t) => mem.view(t));
    if (!dy || !x || !dx) return dxo;
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      const t = Math.tanh(C * (v + 0.044715 * v * v * v));
      const inner = C * (1 + 3 * 0.044715 * v * v);
      dx[i] = (dy[i] as number) * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * inner);
    }
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

/** Whether GELU of x runs fused here (the switch on, float32). */
export function hasFusedGelu(x: tf.Tensor): boolean {
  return fusedOn("gelu", GELU_KERNEL) && x.dtype === "float32";
}

const fused = customGrad(([x], save) => {
  const y = tf.engine().runKernel(GELU_KERNEL, { x: x! }) as tf.Tensor;
  save([x!]);
  return {
    value: y,
    gradFunc: (dy, [sx]) => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x: sx! }) as tf.Tensor,
  };
});

/** GELU (tanh form) in one kernel forward and one backward. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return fused(x);
}
