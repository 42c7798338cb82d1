// The fused optimizer kernels of ops/fused-adamw.ts (MmcGlobalNorm, MmcAdamW) on webgpu, as WGSL
// programs run through tfjs-backend-webgpu's program runner. The norm: one workgroup per group
// of up to 7 tensors sums their squares (WebGPU binds at most 8 storage buffers per shader
// stage, the output among them), and further dispatches add the partial sums, the last taking
// the square root: 21 tensors take 4 dispatches where the op-by-op norm takes 47. The update:
// one dispatch per tensor writing the new weights and both moments (ops/webgpu-raw.ts; 5 inputs
// and 3 outputs, WebGPU's 8 storage buffers), or, where the backend does not allow a raw
// dispatch, three programs per tensor that each read the same inputs. The clip scale is
// computed in the shader from the norm tensor, so nothing is read back; a norm that is not
// finite (tested on its bits: WGSL may assume floats are finite) leaves the tensors as they
// were. Nothing here imports the optional webgpu package.
import * as tf from "@tensorflow/tfjs-core";
import type { Program, Uniform, WebgpuBackendLike } from "./webgpu-program.js";
import type { AdamWAttrs } from "./fused-adamw.js";
import { flatModule, rawDispatch, rawDispatchReady } from "./webgpu-raw.js";

/** Inputs per norm dispatch: 8 storage buffers per stage, one of them the output. */
const NORM_GROUP = 7;
const NORM_THREADS = 256;

/** One workgroup: the sum of `inputs`' squares (`square`) or values, and its sqrt if `root`. */
function normProgram(count: number, square: boolean, root: boolean): Program {
  const names = Array.from({ length: count }, (_, i) => `G${i}`);
  const loops = names
    .map(
      (g, i) => `
        for (var j = index; j < uniforms.len${i}; j = j + ${NORM_THREADS}) {
          let e = ${g}[j];
          s = s + ${square ? "e * e" : "e"};
        }`,
    )
    .join("");
  return {
    outputShape: [1],
    shaderKey: `mmc_norm_${count}_${square}_${root}`,
    dispatchLayout: { x: [0] },
    dispatch: [1, 1, 1],
    workgroupSize: [NORM_THREADS, 1, 1],
    variableNames: names,
    uniforms: names.map((_, i) => `len${i} : i32,`).join(" "),
    size: true,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${NORM_THREADS}>;
      fn main(index : i32) {
        var s = 0.0;${loops}
        partial[index] = s;
        workgroupBarrier();
        for (var k = ${NORM_THREADS / 2}; k > 0; k = k / 2) {
          if (index < k) {
            partial[index] = partial[index] + partial[index + k];
          }
          workgroupBarrier();
        }
        if (index == 0) {
          setOutputAtIndex(0, ${root ? "sqrt(partial[0])" : "partial[0]"});
        }
      }`,
  };
}

const size = (t: tf.TensorInfo): number => t.shape.reduce((a, b) => a * b, 1);

const globalNorm: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WebgpuBackendLike;
  const n = (attrs as { n: number }).n;
  let level = Array.from({ length: n }, (_, i) => (inputs as tf.NamedTensorInfoMap)[`g${i}`]!);
  let square = true;
  const made: tf.TensorInfo[] = [];
  for (;;) {
    const root = level.length <= NORM_GROUP;
    const next: tf.TensorInfo[] = [];
    for (let i = 0; i < level.length; i += NORM_GROUP) {
      const group = level.slice(i, i + NORM_GROUP);
      const uniforms = group.map((t): Uniform => ({ type: "int32", data: [size(t)] }));
      next.push(
        b.runWebGPUProgram(normProgram(group.length, square, root), group, "float32", uniforms),
      );
    }
    if (root) {
      for (const t of made) b.disposeData(t.dataId);
      return { ...(next[0] as tf.TensorInfo), shape: [] };
    }
    made.push(...next);
    level = next;
    square = false;
  }
};

type Which = "p" | "m" | "v";

/** One of the update's three outputs for one tensor (see adamWKernel in fused-adamw.ts). */
function updateProgram(which: Which, shape: number[]): Program {
  const out = {
    m: "mj",
    v: "vj",
    p: "P[index] * uniforms.keep - (uniforms.lr * (mj / uniforms.c1)) / (sqrt(vj / uniforms.c2) + uniforms.eps)",
  }[which];
  const copy = { p: "P[index]", m: "M[index]", v: "V[index]" }[which];
  return {
    outputShape: shape,
    shaderKey: `mmc_adamw_${which}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(shape.reduce((a, b) => a * b, 1) / 64), 1, 1],
    workgroupSize: [64, 1, 1],
    variableNames: ["N", "P", "M", "V", "G"],
    uniforms:
      "lr : f32, beta1 : f32, beta2 : f32, eps : f32, keep : f32, clip : f32, c1 : f32, c2 : f32,",
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        // Every input is bound (tfjs's layouts are "auto": an unused one would be left out).
        _ = P[0];
        _ = M[0];
        _ = V[0];
        if (index < uniforms.size) {
          let norm = N[0];
          let finite = (bitcast<u32>(norm) & 0x7f800000u) != 0x7f800000u;
          if (!finite) {
            setOutputAtIndex(index, ${copy});
            return;
          }
          var scale = 1.0;
          if (uniforms.clip > 0.0 && norm > uniforms.clip) {
            scale = uniforms.clip / (norm + 1e-6);
          }
          let gj = G[index] * scale;
          let mj = uniforms.beta1 * M[index] + (1.0 - uniforms.beta1) * gj;
          let vj = uniforms.beta2 * V[index] + (1.0 - uniforms.beta2) * gj * gj;
          setOutputAtIndex(index, ${out});
        }
      }`,
  };
}

/** The update of one tensor in one dispatch: new weights, first and second moments. */
const ONE_DISPATCH_UPDATE = flatModule(
  "lr : f32, beta1 : f32, beta2 : f32, eps : f32, keep : f32, clip : f32, c1 : f32, c2 : f32, size : i32,",
  ["outP", "outM", "outV"],
  ["N", "P", "M", "V", "G"],
  "size",
  `let norm = N[0];
  if ((bitcast<u32>(norm) & 0x7f800000u) == 0x7f800000u) {
    outP[index] = P[index];
    outM[index] = M[index];
    outV[index] = V[index];
    return;
  }
  var scale = 1.0;
  if (u.clip > 0.0 && norm > u.clip) {
    scale = u.clip / (norm + 1e-6);
  }
  let gj = G[index] * scale;
  let mj = u.beta1 * M[index] + (1.0 - u.beta1) * gj;
  let vj = u.beta2 * V[index] + (1.0 - u.beta2) * gj * gj;
  outP[index] = P[index] * u.keep - (u.lr * (mj / u.c1)) / (sqrt(vj / u.c2) + u.eps);
  outM[index] = mj;
  outV[index] = vj;`,
);

const adamW: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WebgpuBackendLike;
  const a = attrs as unknown as AdamWAttrs;
  const named = inputs as tf.NamedTensorInfoMap;
  const norm = named["norm"]!;
  const raw = rawDispatchReady(backend);
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < a.n; i++) {
    const [p, m, v, g] = ["p", "m", "v", "g"].map((k) => named[`${k}${i}`]!) as [
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
      tf.TensorInfo,
    ];
    const keep = a.decay[i] === 1 && a.weightDecay > 0 ? 1 - a.lr * a.weightDecay : 1;
    const uniforms: Uniform[] = [a.lr, a.beta1, a.beta2, a.eps, keep, a.clip, a.c1, a.c2].map(
      (x) => ({ type: "float32", data: [x] }),
    );
    const shape = [...p.shape];
    if (raw) {
      const elements = size(p);
      outs.push(
        ...rawDispatch(
          backend,
          ONE_DISPATCH_UPDATE,
          [shape, shape, shape],
          [norm, p, m, v, g],
          [...uniforms, { type: "int32", data: [elements] }],
          elements,
        ),
      );
      continue;
    }
    for (const which of ["p", "m", "v"] as const)
      outs.push(
        b.runWebGPUProgram(updateProgram(which, shape), [norm, p, m, v, g], "float32", uniforms),
      );
  }
  return outs;
};

/** Registers the two kernels for webgpu under `names` (those of ops/fused-adamw.ts). */
export function registerWebgpuAdamW(names: { norm: string; update: string }): void {
  if (tf.getKernel(names.norm, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.norm, backendName: "webgpu", kernelFunc: globalNorm });
  if (tf.getKernel(names.update, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.update, backendName: "webgpu", kernelFunc: adamW });
}
