// A compute dispatch with several outputs on tfjs-backend-webgpu. tfjs's program runner
// (`runWebGPUProgram`) writes one output per dispatch, so an op with three results costs three
// dispatches that each read the same inputs. This records one dispatch of a whole WGSL module
// (its own bindings: the outputs first, then the inputs, then one uniform struct) into the
// backend's command encoder the way the runner records its own (backend_webgpu.js
// `recordAndSubmit`, tfjs 4.22.0): the same command encoder, compute pass, submit batching and
// deferred disposal, so it interleaves with tfjs's kernels in order. It reaches members tfjs
// does not export; `rawDispatchReady` says whether the backend has them (and is not timing
// kernels, which this does not support), and callers fall back to programs when it does not.
// Nothing here imports the optional webgpu package.
import * as tf from "@tensorflow/tfjs-core";
import type { Uniform } from "./webgpu-program.js";

interface Pass {
  setPipeline(pipeline: unknown): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y: number, z: number): void;
}

interface Device {
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: "auto"; compute: { module: unknown; entryPoint: string } }): {
    getBindGroupLayout(i: number): unknown;
  };
  createBindGroup(d: {
    layout: unknown;
    entries: { binding: number; resource: unknown }[];
  }): unknown;
}

/** The members of tfjs-backend-webgpu's WebGPUBackend (4.22.0) a raw dispatch uses. */
interface RawBackend {
  device: Device;
  commandEncoder: { beginComputePass(d: object): Pass } | null;
  computePassEncoder: Pass | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers: unknown;
  makeTensorInfo(shape: number[], dtype: "float32"): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  tensorToBinding(t: tf.TensorInfo): unknown;
  makeUniforms(u: Uniform[]): unknown;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const MEMBERS = [
  "makeTensorInfo",
  "uploadToGPU",
  "tensorToBinding",
  "makeUniforms",
  "ensureCommandEncoderReady",
  "endComputePassEncoder",
  "submitQueue",
] as const;

let allowed = true;

/**
 * Allows raw dispatches (the default) or not, in which case the kernels take their program
 * paths (or do not run fused): for tests, which hold each path to the other. Returns the
 * previous setting.
 */
export function setRawDispatch(on: boolean): boolean {
  const was = allowed;
  allowed = on;
  return was;
}

/** Whether `backend` is a webgpu backend a raw dispatch can record into now. */
export function rawDispatchReady(backend: unknown): boolean {
  const b = backend as Partial<Record<string, unknown>>;
  return (
    allowed &&
    typeof b === "object" &&
    b !== null &&
    MEMBERS.every((m) => typeof b[m] === "function") &&
    typeof b["device"] === "object" &&
    b["commandQueueOwnedIds"] instanceof WeakSet &&
    typeof b["dispatchCountInPass"] === "number" &&
    b["activeTimers"] == null
  );
}

// One compiled pipeline per device and module source.
const pipelines = new WeakMap<object, Map<string, ReturnType<Device["createComputePipeline"]>>>();

/** Threads per workgroup of a flat raw module (`flatIndex` assumes it). */
export const RAW_GROUP = 64;
const MAX_GROUPS = 65535;

/**
 * WGSL that puts the flat index of this invocation in `index`, for a dispatch from
 * `rawDispatch` (its workgroups spill into y past 65,535).
 */
export const flatIndex = `let index = i32(gid.y * nw.x * ${RAW_GROUP}u + gid.x);`;
/** The entry point's parameters `flatIndex` reads. */
export const flatParams = `@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nw : vec3<u32>`;

/**
 * A raw module's bindings in `rawDispatch`'s order: the outputs (read_write), then the inputs
 * (read), all array<f32>, then the uniform struct `U` as `u`.
 */
export function rawBindings(outputs: readonly string[], inputs: readonly string[]): string {
  const names = [...outputs, ...inputs];
  return [
    ...names.map(
      (n, i) =>
        `@group(0) @binding(${i}) var<storage, ${i < outputs.length ? "read_write" : "read"}> ${n} : array<f32>;`,
    ),
    `@group(0) @binding(${names.length}) var<uniform> u : U;`,
  ].join("\n");
}

/**
 * A whole raw module with one invocation per `index` below `u.<count>`: the struct U of
 * `uniforms` (WGSL fields), the bindings, and `body` in the entry point.
 */
export function flatModule(
  uniforms: string,
  outputs: readonly string[],
  inputs: readonly string[],
  count: string,
  body: string,
): string {
  return `struct U { ${uniforms} };
${rawBindings(outputs, inputs)}
@compute @workgroup_size(${RAW_GROUP})
fn main(${flatParams}) {
  ${flatIndex}
  if (index >= u.${count}) {
    return;
  }
  ${body}
}`;
}

/**
 * Records one dispatch of `code` (entry point `main`, workgroup size RAW_GROUP, bindings 0.. the
 * outputs, then `inputs`, then the uniform struct built from `uniforms` by tfjs's own packing)
 * over `elements` invocations, and returns the outputs, one float32 tensor per shape.
 */
export function rawDispatch(
  backend: unknown,
  code: string,
  outputShapes: number[][],
  inputs: tf.TensorInfo[],
  uniforms: Uniform[],
  elements: number,
): tf.TensorInfo[] {
  const b = backend as RawBackend;
  const outputs = outputShapes.map((s) => b.makeTensorInfo(s, "float32"));
  const all = [...outputs, ...inputs];
  for (const t of all) b.uploadToGPU(t.dataId);
  let cache = pipelines.get(b.device);
  if (cache === undefined) pipelines.set(b.device, (cache = new Map()));
  let pipeline = cache.get(code);
  if (pipeline === undefined) {
    pipeline = b.device.createComputePipeline({
      layout: "auto",
      compute: { module: b.device.createShaderModule({ code }), entryPoint: "main" },
    });
    cache.set(code, pipeline);
  }
  const entries = [...all.map((t) => b.tensorToBinding(t)), b.makeUniforms(uniforms)].map(
    (resource, binding) => ({ binding, resource }),
  );
  for (const t of all) b.commandQueueOwnedIds.add(t.dataId);
  const group = b.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  b.ensureCommandEncoderReady();
  if (b.computePassEncoder === null || b.computePassEncoder === undefined)
    b.computePassEncoder = (
      b.commandEncoder as NonNullable<RawBackend["commandEncoder"]>
    ).beginComputePass({});
  const groups = Math.max(1, Math.ceil(elements / RAW_GROUP));
  const x = Math.min(groups, MAX_GROUPS);
  b.computePassEncoder.setPipeline(pipeline);
  b.computePassEncoder.setBindGroup(0, group);
  b.computePassEncoder.dispatchWorkgroups(x, Math.ceil(groups / x), 1);
  b.dispatchCountInPass++;
  if ((tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") as number) <= b.dispatchCountInPass) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
  return outputs;
}
