// LayerNorm's fused kernels (ops/fused-layernorm.ts) on webgpu, as WGSL modules recorded by
// ops/webgpu-raw.ts: forward one invocation per row writing y and the row's mean and rstd;
// backward one invocation per row for dx, then one per column for dweight and dbias together.
// The same arithmetic as the JS loops there, in float32. Nothing here imports the optional
// webgpu package.
import * as tf from "@tensorflow/tfjs-core";
import type { Uniform } from "./webgpu-program.js";
import { flatModule, rawDispatch, rawDispatchReady } from "./webgpu-raw.js";

/** Whether the backend can run the kernels (they need raw dispatches). */
export const webgpuLayerNormReady = (backend: unknown): boolean => rawDispatchReady(backend);

/** A module over `count` invocations: `outputs`, then `inputs`, then d, rows, eps, count. */
const module = (outputs: string[], inputs: string[], body: string): string =>
  flatModule(
    "d : i32, rows : i32, eps : f32, count : i32,",
    outputs,
    inputs,
    "count",
    `let d = u.d;
  ${body}`,
  );

const FORWARD = module(
  ["Y", "ST"],
  ["X", "W", "B"],
  `let o = index * d;
  var sum = 0.0;
  for (var j = 0; j < d; j++) {
    sum = sum + X[o + j];
  }
  let mean = sum / f32(d);
  var ss = 0.0;
  for (var j = 0; j < d; j++) {
    let c = X[o + j] - mean;
    ss = ss + c * c;
  }
  let rstd = 1.0 / sqrt(ss / f32(d) + u.eps);
  ST[2 * index] = mean;
  ST[2 * index + 1] = rstd;
  for (var j = 0; j < d; j++) {
    Y[o + j] = (X[o + j] - mean) * rstd * W[j] + B[j];
  }`,
);

const DX = module(
  ["DX"],
  ["DY", "X", "W", "ST"],
  `let o = index * d;
  let mean = ST[2 * index];
  let rstd = ST[2 * index + 1];
  var sg = 0.0;
  var sgn = 0.0;
  for (var j = 0; j < d; j++) {
    let n = (X[o + j] - mean) * rstd;
    let g = DY[o + j] * W[j];
    sg = sg + g;
    sgn = sgn + g * n;
  }
  let mg = sg / f32(d);
  let mgn = sgn / f32(d);
  for (var j = 0; j < d; j++) {
    let n = (X[o + j] - mean) * rstd;
    DX[o + j] = rstd * (DY[o + j] * W[j] - mg - n * mgn);
  }`,
);

const DWB = module(
  ["DW", "DB"],
  ["DY", "X", "ST"],
  `var sw = 0.0;
  var sb = 0.0;
  for (var i = 0; i < u.rows; i++) {
    let dy = DY[i * d + index];
    sw = sw + dy * (X[i * d + index] - ST[2 * i]) * ST[2 * i + 1];
    sb = sb + dy;
  }
  DW[index] = sw;
  DB[index] = sb;`,
);

const uniforms = (d: number, rows: number, eps: number, count: number): Uniform[] => [
  { type: "int32", data: [d] },
  { type: "int32", data: [rows] },
  { type: "float32", data: [eps] },
  { type: "int32", data: [count] },
];

const geometry = (x: tf.TensorInfo): [number, number] => {
  const d = x.shape[x.shape.length - 1] as number;
  return [d, x.shape.reduce((a, b) => a * b, 1) / d];
};

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias } = inputs as Record<"x" | "weight" | "bias", tf.TensorInfo>;
  const eps = (attrs as { eps: number }).eps;
  const [d, rows] = geometry(x);
  return rawDispatch(
    backend,
    FORWARD,
    [[...x.shape], [rows, 2]],
    [x, weight, bias],
    uniforms(d, rows, eps, rows),
    rows,
  );
};

const backward: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, weight, stats } = inputs as Record<"dy" | "x" | "weight" | "stats", tf.TensorInfo>;
  const [d, rows] = geometry(x);
  const [dx] = rawDispatch(
    backend,
    DX,
    [[...x.shape]],
    [dy, x, weight, stats],
    uniforms(d, rows, 0, rows),
    rows,
  );
  const [dw, db] = rawDispatch(
    backend,
    DWB,
    [[d], [d]],
    [dy, x, stats],
    uniforms(d, rows, 0, d),
    d,
  );
  return [dx!, dw!, db!];
};

/** Registers the two kernels for webgpu under `names` (those of ops/fused-layernorm.ts). */
export function registerWebgpuLayerNorm(names: { forward: string; backward: string }): void {
  if (tf.getKernel(names.forward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.forward, backendName: "webgpu", kernelFunc: forward });
  if (tf.getKernel(names.backward, "webgpu") === undefined)
    tf.registerKernel({ kernelName: names.backward, backendName: "webgpu", kernelFunc: backward });
}
