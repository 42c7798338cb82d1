// tfjs's webgpu backend on a real WebGPU adapter with no GPU: headless chromium with SwiftShader
// (bench/chromium-webgpu.mjs). MoE routing on the device, run on webgpu, against the host
// routing on cpu in the same page: the same decisions for random router probabilities, and one
// layer's outputs, losses, load and gradients to 1e-5. Without chromium, or where chromium gives
// no WebGPU adapter, the suite is skipped with a notice.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { haveChromium, runInChromium } from "../../bench/chromium-webgpu.mjs";

interface PageResult {
  backend: string;
  routing: {
    seed: number;
    shape: unknown;
    host: { capacity: number; dispatch: number[]; wanted: number[]; kept: number[] };
    dev: { capacity: number; dispatch: number[]; wanted: number[]; kept: number[] };
  }[];
  layers: { seed: number; difference: number; hostDropped: number; devDropped: number }[];
  adam: {
    seed: number;
    scale: number;
    tensors: number;
    worst: number;
    worstThree: number;
    sameLength: boolean;
    fusedDispatches: number;
    threeDispatches: number;
    opsDispatches: number;
    nanUnchanged: boolean;
  }[];
  norms: {
    shape: number[];
    hasFused: boolean;
    worst: number;
    worstPrograms: number;
    fused: { forward: number; backward: number };
    programs: { forward: number; backward: number };
    ops: { forward: number; backward: number };
  }[];
  attention: PageResult["fused"];
  layerNormGelu: PageResult["fused"];
  bigAdam: { elements: number; worst: number; moved: number };
  matmul: { shape: string; guarded: number; splitK: number }[];
  fused: {
    op: string;
    hasFused: boolean;
    worst: number;
    scale: number;
    fused: { forward: number; backward: number };
    ops: { forward: number; backward: number };
  }[];
}

const PAGE = join(import.meta.dirname, "webgpu-page.ts");
let result: PageResult | undefined;
let notice = "";

if (!haveChromium)
  console.warn(
    "notice: no chromium (MMC_CHROMIUM or /usr/bin/chromium): the webgpu browser tests are skipped",
  );

describe.skipIf(!haveChromium)("webgpu in chromium (SwiftShader)", () => {
  beforeAll(async () => {
    const r = await runInChromium<PageResult>(PAGE, {
      routingSeeds: Array.from({ length: 12 }, (_, i) => i + 1),
      layerSeeds: [1, 2, 3, 4, 5, 6],
      normShapes: [[5, 7], [2, 3, 16], [33, 128], [9]],
    });
    if (r.adapter === undefined) {
      notice = `notice: chromium gave no WebGPU adapter, so the webgpu browser tests are skipped (${r.logs.join("; ")})`;
      console.warn(notice);
    }
    result = r.value;
  }, 240_000);

  it("routes MoE tokens on webgpu as the host does on cpu", ({ skip }) => {
    if (result === undefined) return skip(notice);
    expect(result.backend).toBe("webgpu");
    let dropping = 0;
    for (const c of result.routing) {
      expect(c.dev, `seed ${c.seed}: ${JSON.stringify(c.shape)}`).toEqual({
        ...c.host,
        wanted: c.host.wanted.map((v) => expect.closeTo(v, 6)),
        kept: c.host.kept.map((v) => expect.closeTo(v, 6)),
      });
      if (c.host.kept.reduce((a, b) => a + b, 0) < 0.999) dropping++;
    }
    expect(dropping).toBeGreaterThan(2);
  });

  it("gives a device-routed MoE layer on webgpu the host layer's values and gradients", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    for (const l of result.layers) {
      expect(l.difference, `seed ${l.seed}`).toBeLessThan(1e-5);
      expect(l.devDropped).toBeCloseTo(l.hostDropped, 6);
    }
  });

  it("runs RMSNorm on webgpu as WGSL kernels equal to the op-by-op form, in fewer dispatches", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    for (const n of result.norms) {
      expect(n.hasFused, JSON.stringify(n.shape)).toBe(true);
      expect(n.worst, JSON.stringify(n.shape)).toBeLessThan(1e-5);
      expect(n.worstPrograms, JSON.stringify(n.shape)).toBeLessThan(1e-5);
      // Raw dispatches: y and 1 / rms in one, dx in one and dweight in one; programs: 2 and 3.
      expect(n.fused).toEqual({ forward: 1, backward: 2 });
      expect(n.programs).toEqual({ forward: 2, backward: 3 });
      expect(n.ops.forward + n.ops.backward).toBeGreaterThan(10);
    }
    console.log(
      `RMSNorm dispatches on webgpu: fused ${JSON.stringify(result.norms[0]!.fused)} (programs ${JSON.stringify(result.norms[0]!.programs)}), op by op ${JSON.stringify(result.norms[0]!.ops)}`,
    );
  });

  it("runs SwiGLU, rotary, masked cross-entropy and the masked softmax on webgpu as WGSL kernels equal to the op-by-op forms", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    expect(result.fused.length).toBe(12);
    for (const f of result.fused) {
      expect(f.hasFused, f.op).toBe(true);
      // Relative to the largest value or gradient: not a comparison of zeros.
      expect(f.scale, f.op).toBeGreaterThan(0.01);
      expect(f.worst, f.op).toBeLessThan(1e-5);
      expect(f.fused.forward + f.fused.backward, f.op).toBeLessThan(f.ops.forward + f.ops.backward);
    }
    for (const f of result.fused)
      console.log(
        `${f.op} on webgpu: fused ${JSON.stringify(f.fused)} dispatches, op by op ${JSON.stringify(f.ops)}, relative difference ${f.worst.toExponential(2)}`,
      );
  });

  it("runs the fused attention core on webgpu as WGSL kernels equal to attention op by op", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    expect(result.attention.length).toBe(5);
    for (const f of result.attention) {
      expect(f.hasFused, f.op).toBe(true);
      expect(f.scale, f.op).toBeGreaterThan(0.01);
      expect(f.worst, f.op).toBeLessThan(1e-5);
      // One dispatch forward (output and log-sum-exp), three backward (row stats, dq, dk and dv).
      expect(f.fused, f.op).toEqual({ forward: 1, backward: 3 });
      expect(f.ops.forward + f.ops.backward, f.op).toBeGreaterThan(10);
    }
    for (const f of result.attention)
      console.log(
        `${f.op} on webgpu: fused ${JSON.stringify(f.fused)} dispatches, op by op ${JSON.stringify(f.ops)}, relative difference ${f.worst.toExponential(2)}`,
      );
  });

  it("runs LayerNorm and GELU (three forms) on webgpu fused by default, equal to their op-by-op forms", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    expect(result.layerNormGelu.length).toBe(9);
    for (const f of result.layerNormGelu) {
      expect(f.hasFused, f.op).toBe(true);
      expect(f.scale, f.op).toBeGreaterThan(0.01);
      expect(f.worst, f.op).toBeLessThan(1e-5);
      // LayerNorm: y and the row stats in one; dx by row, then dweight and dbias by column.
      const expected = f.op.startsWith("layer")
        ? { forward: 1, backward: 2 }
        : { forward: 1, backward: 1 };
      expect(f.fused, f.op).toEqual(expected);
      expect(f.ops.forward + f.ops.backward, f.op).toBeGreaterThan(8);
      console.log(
        `${f.op} on webgpu: fused ${JSON.stringify(f.fused)} dispatches, op by op ${JSON.stringify(f.ops)}, relative difference ${f.worst.toExponential(2)}`,
      );
    }
  });

  it("updates a tensor past 65,535 workgroups in one raw dispatch as the programs do", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    const { elements, worst, moved } = result.bigAdam;
    expect(elements).toBeGreaterThan(65535 * 64);
    expect(worst).toBeLessThan(1e-7);
    // Every element moved, the ones past the first 65,535 workgroups included.
    expect(moved).toBe(elements);
  });

  it("keeps small-output products with a long transposed inner dim off tfjs's split-K program", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    expect(result.matmul.length).toBe(4);
    for (const m of result.matmul) {
      expect(m.guarded, m.shape).toBeLessThan(1e-5);
      console.log(
        `${m.shape} on webgpu: guarded ${m.guarded.toExponential(2)}, split-K forced ${m.splitK.toExponential(2)} (relative to cpu)`,
      );
    }
  });

  it("runs clipping and AdamW on webgpu as WGSL kernels equal to the op-by-op update", ({
    skip,
  }) => {
    if (result === undefined) return skip(notice);
    for (const a of result.adam) {
      expect(a.sameLength).toBe(true);
      expect(a.worst, `seed ${a.seed}, gradients x ${a.scale}`).toBeLessThan(1e-5);
      expect(a.worstThree, `seed ${a.seed}, gradients x ${a.scale}`).toBeLessThan(1e-5);
      expect(a.nanUnchanged).toBe(true);
      // The norm in ceil(tensors / 7) + 1 dispatches at most; the update in one raw dispatch per
      // tensor, or 3 programs per tensor where it takes the program path.
      const norm = Math.ceil(a.tensors / 7) + 1;
      expect(a.fusedDispatches).toBeLessThanOrEqual(norm + a.tensors);
      expect(a.threeDispatches).toBeLessThanOrEqual(norm + 3 * a.tensors);
      expect(a.threeDispatches).toBeGreaterThan(norm + 2 * a.tensors);
      expect(a.opsDispatches).toBeGreaterThan(a.threeDispatches);
    }
    const a = result.adam[0]!;
    console.log(
      `norm and AdamW on webgpu, ${a.tensors} tensors: fused ${a.fusedDispatches} dispatches a step (${a.threeDispatches} with three programs a tensor), op by op ${a.opsDispatches}`,
    );
  });
});
