// The model's weights: exactly the tensors of the components' weight manifests, by name and
// shape, as tf.Variables. Layers look weights up through a ParamScope (`layers.0.attn.q.weight`).
import * as tf from "@tensorflow/tfjs-core";
import type { WeightTensor } from "../components/types.js";
import { initValues } from "./init.js";

/**
 * Read access to weights under a name prefix, as layers see them. There is no `has`: which
 * weights exist follows from the component config, never from probing the store.
 */
export interface ParamScope {
  get(name: string): tf.Tensor;
  scope(prefix: string): ParamScope;
}

function joinName(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

export class Params implements ParamScope {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly tied = new Map<string, string>();
  /** The manifest tensors that own storage (tied tensors excluded), in manifest order. */
  readonly specs: readonly WeightTensor[];

  private constructor(manifest: readonly WeightTensor[], seed: number) {
    const owned: WeightTensor[] = [];
    for (const t of manifest) {
      if (t.tiedTo !== undefined) {
        this.tied.set(t.name, t.tiedTo);
        continue;
      }
      if (this.vars.has(t.name)) throw new Error(`weight manifest names \`${t.name}\` twice`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      const values = initValues(t.init, size, seed, t.name);
      // The variable shares the initial tensor's data: releasing the tensor leaves it to the
      // variable, so the first update frees it (kept, it stayed allocated for the whole run).
      const initial = tf.tensor(values, [...t.shape], "float32");
      this.vars.set(t.name, tf.variable(initial, true));
      initial.dispose();
      owned.push(t);
    }
    for (const [name, target] of this.tied) {
      if (!this.vars.has(target)) throw new Error(`\`${name}\` is tied to unknown \`${target}\``);
    }
    this.specs = owned;
  }

  /** Allocates every tensor of `manifest`, initialised from `seed` (see init.ts). */
  static create(manifest: readonly WeightTensor[], seed: number): Params {
    return new Params(manifest, seed);
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(this.tied.get(name) ?? name);
    if (v === undefined) throw new Error(`no weight named \`${name}\``);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name) || this.tied.has(name);
  }

  scope(prefix: string): ParamScope {
    return scopeOf(this, prefix);
  }

  /** Owned variables by name, in manifest order. */
  entries(): [string, tf.Variable][] {
    return this.specs.map((s) => [s.name, this.get(s.name)]);
  }

  /** Unique trainable parameters (tied tensors once). */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** One weight the forward pass read: how many times, and the shape it got. */
export interface WeightRead {
  readonly count: number;
  readonly shape: readonly number[];
}

/**
 * A ParamScope that records every full weight name read through it (and every name asked for
 * that the store lacks), so a test can hold the forward pass against the checker's manifest.
 */
export class WeightRecorder implements ParamScope {
  readonly reads = new Map<string, WeightRead>();
  /** Names read (`get`) that the store does not hold, in the order they were asked for. */
  readonly outside: string[] = [];
  constructor(private readonly root: Params) {}

  get(name: string): tf.Tensor {
    if (!this.root.has(name)) {
      this.outside.push(name);
      throw new Error(`the forward pass read \`${name}\`, which the manifest does not hold`);
    }
    const t = this.root.get(name);
    const seen = this.reads.get(name);
    this.reads.set(name, { count: (seen?.count ?? 0) + 1, shape: t.shape });
    return t;
  }

  scope(prefix: string): ParamScope {
    return scopeOf(this, prefix);
  }
}

function scopeOf(root: ParamScope, prefix: string): ParamScope {
  return {
    get: (name) => root.get(joinName(prefix, name)),
    scope: (sub) => scopeOf(root, joinName(prefix, sub)),
  };
}
