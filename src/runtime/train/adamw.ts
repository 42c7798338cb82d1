// AdamW with decoupled weight decay (PyTorch's form: p -= lr * wd * p, then the Adam step), only
// on tensors the manifest marks `decay`, after global gradient-norm clipping. Its moments are
// plain tf.Variables by parameter name so checkpoints store them exactly. On wasm and cpu the norm
// and the update are fused kernels (ops/fused-adamw.ts): one dispatch each per chunk of tensors;
// on webgpu, WGSL kernels with the same semantics (ops/webgpu-adamw.ts).
import * as tf from "@tensorflow/tfjs-core";
import type { OptimizerSettings } from "../../spec/run-config.js";
import type { Params } from "../params.js";
import {
  fusedAdamW,
  fusedGlobalNorm,
  hasFusedOptimizer,
  type AdamWSlot,
} from "../ops/fused-adamw.js";
import { sumAll } from "../ops/sum-all.js";

/**
 * The optimizer's settings (src/spec/run-config.ts); only `lr` is required here, for configs made
 * by hand. Absent `clip`: no clipping.
 */
export type AdamWConfig = Pick<OptimizerSettings, "lr"> & Partial<Omit<OptimizerSettings, "lr">>;

/**
 * Elements per fused update dispatch: its outputs (new weights and moments) all exist before the
 * inputs are released, so a chunk bounds that transient (12 bytes an element, 96 MiB here).
 */
export const FUSED_CHUNK_ELEMENTS = 2 ** 23;

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Updates applied so far (the bias-correction step count). */
  step = 0;
  /** Whether updates use the fused kernels (on by default where the backend has them). */
  fused = hasFusedOptimizer();
  /** Elements per fused dispatch (FUSED_CHUNK_ELEMENTS; smaller in tests). */
  chunkElements = FUSED_CHUNK_ELEMENTS;
  private readonly decay = new Map<string, boolean>();

  constructor(
    readonly params: Params,
    readonly config: AdamWConfig,
    /** Frozen tensors (a train's `freeze`): no moments, never updated. */
    frozen: ReadonlySet<string> = new Set(),
  ) {
    for (const spec of params.specs) {
      if (frozen.has(spec.name)) continue;
      this.m.set(spec.name, zeroVariable(spec.shape));
      this.v.set(spec.name, zeroVariable(spec.shape));
      this.decay.set(spec.name, spec.decay);
    }
  }

  /** Global L2 norm of `grads` (a scalar tensor); one dispatch where the backend has the kernel. */
  static globalNorm(grads: ReadonlyMap<string, tf.Tensor>, fused = hasFusedOptimizer()): tf.Scalar {
    if (fused && grads.size > 0) return fusedGlobalNorm([...grads.values()]);
    return tf.tidy(() => {
      const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      return tf.sqrt(sq.length === 0 ? tf.scalar(0) : sumAll(sq)) as tf.Scalar;
    });
  }

  /**
   * One update at learning rate `lr`; `gradNorm` is the already computed global norm. A number
   * is tested and turned into the clip scale here; a scalar tensor (fused path only) is read by
   * the kernel itself, which leaves every tensor unchanged when it is not finite: the caller then
   * calls `unstep()` once it has read the norm.
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradNorm: number | tf.Scalar): void {
    const [b1, b2] = this.config.betas ?? [0.9, 0.999];
    const eps = this.config.eps ?? 1e-8;
    const wd = this.config.weightDecay ?? 0;
    const clip = this.config.clip ?? 0;
    this.step += 1;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
    if (this.fused) {
      const attrs = { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, clip, c1, c2 };
      tf.tidy(() => {
        const norm = typeof gradNorm === "number" ? tf.scalar(gradNorm) : gradNorm;
        for (const chunk of this.chunks(grads)) {
          const decay = chunk.map(([name]) => (this.decay.get(name) === true ? 1 : 0));
          const outs = fusedAdamW(
            chunk.map(([, s]) => s),
            norm,
            { ...attrs, decay },
          );
          chunk.forEach(([, s], i) => {
            const [p, m, v] = outs[i] as [tf.Tensor, tf.Tensor, tf.Tensor];
            (s.p as tf.Variable).assign(p);
            (s.m as tf.Variable).assign(m);
            (s.v as tf.Variable).assign(v);
          });
        }
      });
      return;
    }
    if (typeof gradNorm !== "number")
      throw new Error("AdamW.apply: the op-by-op path takes the norm as a number");
    const scale = clip > 0 && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1;
    for (const [name, g0] of grads) {
      // One tidy per tensor: temporaries of all tensors at once would double peak memory.
      tf.tidy(() => {
        const p = this.params.get(name);
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
        const decayed = this.decay.get(name) === true && wd > 0 ? tf.mul(p, 1 - lr * wd) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
        m.assign(m1);
        v.assign(v1);
      });
    }
  }

  /** The fused update just applied found a norm that is not finite and changed nothing. */
  unstep(): void {
    this.step -= 1;
  }

  /** `grads` with their weights and moments, in chunks of at most `chunkElements` (or one tensor). */
  private chunks(grads: ReadonlyMap<string, tf.Tensor>): [string, AdamWSlot][][] {
    const out: [string, AdamWSlot][][] = [];
    let chunk: [string, AdamWSlot][] = [];
    let size = 0;
    for (const [name, g] of grads) {
      if (chunk.length > 0 && size + g.size > this.chunkElements) {
        out.push(chunk);
        chunk = [];
        size = 0;
      }
      const slot = {
        p: this.params.get(name),
        m: this.m.get(name) as tf.Variable,
        v: this.v.get(name) as tf.Variable,
        g,
      };
      chunk.push([name, slot]);
      size += g.size;
    }
    if (chunk.length > 0) out.push(chunk);
    return out;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** A zero variable; the zeros tensor it was made from is released (the variable keeps the data). */
function zeroVariable(shape: readonly number[]): tf.Variable {
  const zeros = tf.zeros([...shape]);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}
