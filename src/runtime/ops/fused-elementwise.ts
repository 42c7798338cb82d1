// SwiGLU's activation (silu(gate) * up) and rotary positions as fused kernels joined by custom
// gradients. Op by op, SwiGLU is 3 dispatches forward and about 8 backward, rotary about 9
// forward and 12 backward per tensor; fused, SwiGLU is 1 forward and 1 backward (2 on webgpu: one
// program per gradient), rotary 1 and 1 (the backward is the inverse rotation). On wasm and cpu
// the kernels are JS loops over the backend's memory (host-memory.ts), on webgpu WGSL
// (webgpu-elementwise.ts). Whether they run is fused-switch.ts's.
import * as tf from "@tensorflow/tfjs-core";
import { customGrad } from "./custom-grad.js";
import { fusedOn } from "./fused-switch.js";
import { float32Inputs, hostMemory } from "./host-memory.js";
import { registerWebgpuElementwise } from "./webgpu-elementwise.js";

export const SWIGLU_KERNEL = "MmcSwiGlu";
export const SWIGLU_GRAD_KERNEL = "MmcSwiGluGrad";
export const ROPE_KERNEL = "MmcRope";

/** Inputs gate, up (one shape); output silu(gate) * up. */
function swigluKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [gi, ui] = float32Inputs(SWIGLU_KERNEL, inputs, ["gate", "up"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const yo = mem.alloc(gi.shape);
    const [g, u, y] = [gi, ui, yo].map((t) => mem.view(t));
    if (!g || !u || !y) return yo;
    for (let i = 0; i < y.length; i++) {
      const gv = g[i] as number;
      y[i] = (gv / (1 + Math.exp(-gv))) * (u[i] as number);
    }
    return yo;
  };
}

/**
 * Inputs dy, gate, up; outputs dgate = dy * up * s * (1 + gate * (1 - s)) with s = sigmoid(gate),
 * and dup = dy * gate * s.
 */
function swigluGradKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const mem = hostMemory(backendName, backend);
    const [dyi, gi, ui] = float32Inputs(SWIGLU_GRAD_KERNEL, inputs, ["dy", "gate", "up"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const dgo = mem.alloc(gi.shape);
    const duo = mem.alloc(gi.shape);
    const [dy, g, u, dg, du] = [dyi, gi, ui, dgo, duo].map((t) => mem.view(t));
    if (!dy || !g || !u || !dg || !du) return [dgo, duo];
    for (let i = 0; i < g.length; i++) {
      const gv = g[i] as number;
      const s = 1 / (1 + Math.exp(-gv));
      const d = dy[i] as number;
      dg[i] = d * (u[i] as number) * s * (1 + gv * (1 - s));
      du[i] = d * gv * s;
    }
    return [dgo, duo];
  };
}

/**
 * Inputs x [..., t, hd], cos and sin [t, hd / 2]; attribute sign (1: rotate, -1: the inverse, the
 * gradient). Output (x1 cos - sign x2 sin, sign x1 sin + x2 cos) with x1, x2 the halves of hd.
 */
function ropeKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const sign = (attrs as { sign: number }).sign;
    const mem = hostMemory(backendName, backend);
    const [xi, ci, si] = float32Inputs(ROPE_KERNEL, inputs, ["x", "cos", "sin"]) as [
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const hd = xi.shape[xi.shape.length - 1] as number;
    const t = xi.shape[xi.shape.length - 2] as number;
    const half = hd / 2;
    const yo = mem.alloc(xi.shape);
    const [x, c, s, y] = [xi, ci, si, yo].map((v) => mem.view(v));
    if (!x || !c || !s || !y) return yo;
    const rows = hd === 0 ? 0 : x.length / hd;
    for (let r = 0; r < rows; r++) {
      const o = r * hd;
      const p = (r % t) * half;
      for (let i = 0; i < half; i++) {
        const x1 = x[o + i] as number;
        const x2 = x[o + half + i] as number;
        const cv = c[p + i] as number;
        const sv = sign * (s[p + i] as number);
        y[o + i] = x1 * cv - x2 * sv;
        y[o + half + i] = x1 * sv + x2 * cv;
      }
    }
    return yo;
  };
}

for (const backendName of ["wasm", "cpu"]) {
  for (const [kernelName, make] of [
    [SWIGLU_KERNEL, swigluKernel],
    [SWIGLU_GRAD_KERNEL, swigluGradKernel],
    [ROPE_KERNEL, ropeKernel],
  ] as const)
    if (tf.getKernel(kernelName, backendName) === undefined)
      tf.registerKernel({ kernelName, backendName, kernelFunc: make(backendName) });
}

registerWebgpuElementwise({
  swiglu: SWIGLU_KERNEL,
  swigluGrad: SWIGLU_GRAD_KERNEL,
  rope: ROPE_KERNEL,
});

/** Whether silu(gate) * up runs fused here (the switch on, float32 inputs of one shape). */
export function hasFusedSwiGlu(gate: tf.Tensor, up: tf.Tensor): boolean {
  return (
    fusedOn("swiglu", SWIGLU_KERNEL) &&
    gate.dtype === "float32" &&
    up.dtype === "float32" &&
    gate.shape.length === up.shape.length &&
    gate.shape.every((d, i) => d === up.shape[i])
  );
}

const swiglu = customGrad(([gate, up], save) => {
  const g = gate as tf.Tensor;
  const u = up as tf.Tensor;
  save([g, u]);
  return {
    value: tf.engine().runKernel(SWIGLU_KERNEL, { gate: g, up: u }) as tf.Tensor,
    gradFunc: (dy, [sg, su]) =>
      tf.engine().runKernel(SWIGLU_GRAD_KERNEL, {
        dy,
        gate: sg as tf.Tensor,
        up: su as tf.Tensor,
      }) as tf.Tensor[],
  };
});

/** silu(gate) * up in one dispatch forward and one backward (see hasFusedSwiGlu). */
export function fusedSwiGlu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  return swiglu(gate, up);
}

/** Whether rotary positions on x run fused here: float32, cos/sin exactly [t, hd / 2]. */
export function hasFusedRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): boolean {
  const hd = x.shape[x.rank - 1] as number;
  const t = x.shape[x.rank - 2];
  return (
    fusedOn("rope", ROPE_KERNEL) &&
    x.rank >= 2 &&
    hd % 2 === 0 &&
    [x, cos, sin].every((v) => v.dtype === "float32") &&
    [cos, sin].every((v) => v.rank === 2 && v.shape[0] === t && v.shape[1] === hd / 2)
  );
}

/** Rotary positions on x [..., t, hd] in one dispatch forward and one backward (see hasFusedRope). */
export function fusedRope(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  // The tables are constants: the gradient is x's only; they are saved (kept past the scope).
  const rotate = (v: tf.Tensor, c: tf.Tensor, s: tf.Tensor, sign: number): tf.Tensor =>
    tf.engine().runKernel(ROPE_KERNEL, { x: v, cos: c, sin: s }, { sign }) as tf.Tensor;
  return customGrad(([xi], save) => {
    save([cos, sin]);
    return {
      value: rotate(xi as tf.Tensor, cos, sin, 1),
      gradFunc: (dy, [sc, ss]) => rotate(dy, sc as tf.Tensor, ss as tf.Tensor, -1),
    };
  })(x);
}
