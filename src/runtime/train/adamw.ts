// AdamW with decoupled weight decay (PyTorch's form: p -= lr * wd * p, then the Adam step), only
// on tensors the manifest marks `decay`, after global gradient-norm clipping. Its moments are
// plain tf.Variables by parameter name so checkpoints store them exactly.
import * as tf from "@tensorflow/tfjs-core";
import type { Params } from "../params.js";
import { sumAll } from "../ops/sum-all.js";

export interface AdamWConfig {
  readonly lr: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
  /** Global gradient-norm clip; 0 or absent: no clipping. */
  readonly clip?: number;
}

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** Updates applied so far (the bias-correction step count). */
  step = 0;
  private readonly decay = new Map<string, boolean>();

  constructor(
    readonly params: Params,
    readonly config: AdamWConfig,
    /** Frozen tensors (a train's `freeze`): no moments, never updated. */
    frozen: ReadonlySet<string> = new Set(),
  ) {
    for (const spec of params.specs) {
      if (frozen.has(spec.name)) continue;
      this.m.set(spec.name, tf.variable(tf.zeros([...spec.shape]), false));
      this.v.set(spec.name, tf.variable(tf.zeros([...spec.shape]), false));
      this.decay.set(spec.name, spec.decay);
    }
  }

  /** Global L2 norm of `grads` (a scalar tensor). */
  static globalNorm(grads: ReadonlyMap<string, tf.Tensor>): tf.Scalar {
    return tf.tidy(() => {
      const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      return tf.sqrt(sq.length === 0 ? tf.scalar(0) : sumAll(sq)) as tf.Scalar;
    });
  }

  /** One update at learning rate `lr`; `gradNorm` is the already computed global norm. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradNorm: number): void {
    const [b1, b2] = this.config.betas ?? [0.9, 0.999];
    const eps = this.config.eps ?? 1e-8;
    const wd = this.config.weightDecay ?? 0;
    const clip = this.config.clip ?? 0;
    const scale = clip > 0 && gradNorm > clip ? clip / (gradNorm + 1e-6) : 1;
    this.step += 1;
    const c1 = 1 - Math.pow(b1, this.step);
    const c2 = 1 - Math.pow(b2, this.step);
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

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
