// RMSNorm's fused kernels (ops/fused-norm.ts's MmcRmsNorm and MmcRmsNormGrad) on webgpu, as WGSL
// modules. Where the backend allows raw dispatches (ops/webgpu-raw.ts): forward one invocation
// per row writing y and the row's 1 / rms; backward one invocation per row for dx (its
// mean(dy * weight * n) first), then the weight's gradient by column: 3 dispatches where the
// op-by-op RMSNorm takes about 18. Otherwise programs through tfjs-backend-webgpu's own runner
// (`runWebGPUProgram`: its shader header, buffers, uniforms and pipeline cache; one output each):
// each row's 1 / rms, then y; each row's mean, then dx, then the weight's gradient: 5.
// Nothing here imports the optional webgpu package: the programs are plain objects in the shape
// its runner reads.
import * as tf from "@tensorflow/tfjs-core";
import type { Program, Uniform, WebgpuBackendLike } from "./webgpu-program.js";
import { flatModule, rawDispatch, rawDispatchReady } from "./webgpu-raw.js";

const GROUP = 64;

/** A program over `size` outputs (one invocation each) with `body` run for `index < size`. */
function program(key: string, outputShape: number[], inputs: string[], body: string): Program {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    outputShape,
    shaderKey: `mmc_rms_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.ceil(size / GROUP), 1, 1],
    workgroupSize: [GROUP, 1, 1],
    variableNames: inputs,
    uniforms: "d : i32, rows : i32, eps : f32,",
    size: true,
    // tfjs's header declares the inputs (array<f32>), `result`, `uniforms` and setOutputAtIndex.
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let d = uniforms.d;
          ${body}
        }
      }`,
  };
}

const run = (
  backend: unknown,
  p: Program,
  inputs: tf.TensorInfo[],
  d: number,
  rows: number,
  eps: number,
): tf.TensorInfo =>
  (backend as WebgpuBackendLike).runWebGPUProgram(p, inputs, "float32", [
    { type: "int32", data: [d] },
    { type: "int32", data: [rows] },
    { type: "float32", data: [eps] },
  ]);

const lastAxis = (t: tf.TensorInfo): number => t.shape[t.shape.length - 1] as number;

/** A raw module over `rows` invocations (one a row): `outputs`, then `inputs`, then d, rows, eps. */
const rowModule = (outputs: string[], inputs: string[], body: string): string =>
  flatModule(
    "d : i32, rows : i32, eps : f32,",
    outputs,
    inputs,
    "rows",
    `let d = u.d;
  let o = index * d;
  ${body}`,
  );

const FORWARD_ROW = rowModule(
  ["Y", "R"],
  ["X", "W"],
  `var ss = 0.0;
  for (var j = 0; j < d; j++) {
    let v = X[o + j];
    ss = ss + v * v;
  }
  let r = 1.0 / sqrt(ss / f32(d) + u.eps);
  for (var j = 0; j < d; j++) {
    Y[o + j] = X[o + j] * r * W[j];
  }
  R[index] = r;`,
);

const DX_ROW = rowModule(
  ["DX"],
  ["DY", "X", "W", "R"],
  `let ri = R[index];
  var s = 0.0;
  for (var j = 0; j < d; j++) {
    s = s + DY[o + j] * W[j] * X[o + j] * ri;
  }
  let m = s / f32(d);
  for (var j = 0; j < d; j++) {
    DX[o + j] = ri * (DY[o + j] * W[j] - X[o + j] * ri * m);
  }`,
);

const rowUniforms = (d: number, rows: number, eps: number): Uniform[] => [
  { type: "int32", data: [d] },
  { type: "int32", data: [rows] },
  { type: "float32", data: [eps] },
];

/** Inputs x, weight; outputs y and r (as the cpu and wasm kernels). */
const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight } = inputs as { x: tf.TensorInfo; weight: tf.TensorInfo };
  const eps = (attrs as { eps: number }).eps;
  const d = lastAxis(x);
  const rows = d === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / d;
  if (rows > 0 && rawDispatchReady(backend)) {
    const [y, r] = rawDispatch(
      backend,
      FORWARD_ROW,
      [[...x.shape], x.shape.length === 1 ? [1] : [rows]],
      [x, weight],
      rowUniforms(d, rows, eps),
      rows,
    ) as [tf.TensorInfo, tf.TensorInfo];
    return [y, { ...r, shape: x.shape.slice(0, -1) }];
  }
  const r = run(
    backend,
    program(
      "r",
      x.shape.slice(0, -1).length === 0 ? [1] : [rows],
      ["X"],
      `var ss = 0.0;
          let o = index * d;
          for (var j = 0; j < d; j++) {
            let v = X[o + j];
            ss = ss + v * v;
          }
          setOutputAtIndex(index, 1.0 / sqrt(ss / f32(d) + uniforms.eps));`,
    ),
    [x],
    d,
    rows,
    eps,
  );
  const y = run(
    backend,
    program(
      "y",
      [...x.shape],
      ["X", "W", "R"],
      `setOutputAtIndex(index, X[index] * R[index / d] * W[index % d]);`,
    ),
    [x, weight, r],
    d,
    rows,
    eps,
  );
  // r's shape as the other kernels give it: x's leading axes.
  const rOut = { ...r, shape: x.shape.slice(0, -1) };
  return [y, rOut];
};

/** Inputs dy, x, weight, r; outputs dx and dweight. */
const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, weight, r } = inputs as Record<"dy" | "x" | "weight" | "r", tf.TensorInfo>;
  const d = lastAxis(x);
  const rows = d === 0 ? 0 : x.shape.reduce((a, b) => a * b, 1) / d;
  const dwOf = (): tf.TensorInfo =>
    run(
      backend,
      program(
        "dw",
        [d],
        ["DY", "X", "R"],
        `var s = 0.0;
          for (var i = 0; i < uniforms.rows; i++) {
            s = s + DY[i * d + index] * X[i * d + index] * R[i];
          }
          setOutputAtIndex(index, s);`,
      ),
      [dy, x, r],
      d,
      rows,
      0,
    );
  if (rows > 0 && rawDispatchReady(backend)) {
    const [dx] = rawDispatch(
      backend,
      DX_ROW,
      [[...x.shape]],
      [dy, x, weight, r],
      rowUniforms(d, rows, 0),
      rows,
    );
    return [dx!, dwOf()];
  }
  // mean over the row of dy * weight * n, n = x * r
  const mean = run(
    backend,
    program(
      "mean",
      [Math.max(rows, 1)],
      ["DY", "X", "W", "R"],
      `let o = index * d;
          let ri = R[index];
          var s = 0.0;
          for (var j = 0; j < d; j++) {
            s = s + DY[o + j] * W[j] * X[o + j] * ri;
          }
          setOutputAtIndex(index, s / f32(d));`,
    ),
    [dy, x, weight, r],
    d,
    rows,
    0,
  );
  const dx = run(
    backend,
    program(
      "dx",
      [...x.shape],
      ["DY", "X", "W", "R", "M"],
      `let i = index / d;
          let ri = R[i];
          setOutputAtIndex(index, ri * (DY[index] * W[index % d] - X[index] * ri * M[i]));`,
    ),
    [dy, x, weight, r, mean],
    d,
    rows,
    0,
  );
  const dw = dwOf();
  (backend as tf.KernelBackend).disposeData(mean.dataId);
  return [dx, dw];
};

/** Registers the two kernels for webgpu under `names` (those of ops/fused-norm.ts). */
export function registerWebgpuRmsNorm(names: { forward: string; backward: string }): void {
  if (tf.getKernel(names.forward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.forward, backendName: "webgpu", kernelFunc: forward });
  if (tf.getKernel(names.backward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.backward, backendName: "webgpu", kernelFunc: backward });
}
