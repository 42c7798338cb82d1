// Gradients for the kernels the runtime differentiates through. tfjs-core's Node bundle registers
// none (they ship only as ESM sources that Node cannot load from that package), so the runtime
// registers its own, for exactly the ops its layers use. Kernels that already have one are skipped.
import * as tf from "@tensorflow/tfjs-core";

type Grads = Record<string, () => tf.Tensor>;
type GradFn = (dy: tf.Tensor, saved: tf.Tensor[], attrs: Record<string, unknown>) => Grads;

/** Sums `g` over the axes that broadcasting added or stretched so it takes `shape`. */
export function unbroadcast(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, [...shape]);
}

function reg(
  kernelName: string,
  gradFunc: GradFn,
  save: { inputs?: string[]; outputs?: boolean; all?: boolean },
): void {
  if (tf.getGradient(kernelName) !== undefined) return;
  tf.registerGradient({
    kernelName,
    ...(save.inputs ? { inputsToSave: save.inputs } : {}),
    ...(save.outputs ? { outputsToSave: [true] } : {}),
    ...(save.all ? { saveAllInputs: true } : {}),
    gradFunc: (dy, saved, attrs) =>
      gradFunc(dy as tf.Tensor, saved, attrs as Record<string, unknown>),
  });
}

function axesOf(attr: unknown, rank: number): number[] {
  if (attr === null || attr === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(attr) ? (attr as number[]) : [attr as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction, reshaped with the reduced axes kept so it broadcasts over x. */
function keepDims(dy: tf.Tensor, x: tf.Tensor, axis: unknown): tf.Tensor {
  const axes = axesOf(axis, x.rank);
  const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.reshape(dy, shape);
}

let registered = false;

/** Registers the runtime's gradients once per process. */
export function registerRuntimeGradients(): void {
  if (registered) return;
  registered = true;
  reg(
    "Add",
    (dy, [a, b]) => ({ a: () => unbroadcast(dy, a!.shape), b: () => unbroadcast(dy, b!.shape) }),
    { inputs: ["a", "b"] },
  );
  reg(
    "Sub",
    (dy, [a, b]) => ({
      a: () => unbroadcast(dy, a!.shape),
      b: () => unbroadcast(tf.neg(dy), b!.shape),
    }),
    { inputs: ["a", "b"] },
  );
  reg(
    "Multiply",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, b!), a!.shape),
      b: () => unbroadcast(tf.mul(dy, a!), b!.shape),
    }),
    { inputs: ["a", "b"] },
  );
  reg(
    "RealDiv",
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy, b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy, a!), tf.square(b!))), b!.shape),
    }),
    { inputs: ["a", "b"] },
  );
  reg("AddN", (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => dy])), {
    all: true,
  });
  reg("Neg", (dy) => ({ x: () => tf.neg(dy) }), {});
  reg("Identity", (dy) => ({ x: () => dy }), {});
  reg("Cast", (dy) => ({ x: () => dy }), {});
  reg("Reshape", (dy, [x]) => ({ x: () => tf.reshape(dy, x!.shape) }), { inputs: ["x"] });
  reg(
    "Transpose",
    (dy, _s, attrs) => {
      const perm = attrs["perm"] as number[];
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return { x: () => tf.transpose(dy, inverse) };
    },
    {},
  );
  reg(
    "Sum",
    (dy, [x], attrs) => ({ x: () => tf.mul(keepDims(dy, x!, attrs["axis"]), tf.onesLike(x!)) }),
    { inputs: ["x"] },
  );
  reg(
    "Mean",
    (dy, [x], attrs) => {
      const axes = axesOf(attrs["axis"], x!.rank);
      const count = axes.reduce((n, a) => n * (x!.shape[a] as number), 1);
      return { x: () => tf.mul(keepDims(tf.div(dy, count), x!, attrs["axis"]), tf.onesLike(x!)) };
    },
    { inputs: ["x"] },
  );
  reg("Exp", (dy, [y]) => ({ x: () => tf.mul(dy, y!) }), { outputs: true });
  reg("Log", (dy, [x]) => ({ x: () => tf.div(dy, x!) }), { inputs: ["x"] });
  reg("Square", (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(x!, 2)) }), { inputs: ["x"] });
  reg("Sqrt", (dy, [x]) => ({ x: () => tf.div(dy, tf.mul(tf.sqrt(x!), 2)) }), { inputs: ["x"] });
  reg("Rsqrt", (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(tf.pow(tf.rsqrt(x!), 3), -0.5)) }), {
    inputs: ["x"],
  });
  reg("Tanh", (dy, [y]) => ({ x: () => tf.mul(dy, tf.sub(1, tf.square(y!))) }), { outputs: true });
  reg("Sigmoid", (dy, [y]) => ({ x: () => tf.mul(dy, tf.mul(y!, tf.sub(1, y!))) }), {
    outputs: true,
  });
  reg("Relu", (dy, [x]) => ({ x: () => tf.mul(dy, tf.cast(tf.greater(x!, 0), "float32")) }), {
    inputs: ["x"],
  });
  reg(
    "Softmax",
    (dy, [y]) => ({ logits: () => tf.mul(tf.sub(dy, tf.sum(tf.mul(dy, y!), -1, true)), y!) }),
    { outputs: true },
  );
  reg(
    "Concat",
    (dy, saved, attrs) => {
      const axis = axesOf(attrs["axis"], dy.rank)[0] as number;
      const out: Grads = {};
      let at = 0;
      saved.forEach((t, i) => {
        const begin = dy.shape.map((_, j) => (j === axis ? at : 0));
        const size = t.shape.map((d, j) => (j === axis ? d : -1));
        out[String(i)] = () => tf.slice(dy, begin, size);
        at += t.shape[axis] as number;
      });
      return out;
    },
    { all: true },
  );
  reg(
    "Slice",
    (dy, [x], attrs) => {
      const begin = attrs["begin"] as number[];
      const pads = x!.shape.map(
        (d, i) =>
          [begin[i] as number, d - (begin[i] as number) - (dy.shape[i] as number)] as [
            number,
            number,
          ],
      );
      return { x: () => tf.pad(dy, pads) };
    },
    { inputs: ["x"] },
  );
  reg(
    "PadV2",
    (dy, [x], attrs) => {
      const pads = attrs["paddings"] as [number, number][];
      return {
        x: () =>
          tf.slice(
            dy,
            pads.map((p) => p[0]),
            x!.shape,
          ),
      };
    },
    { inputs: ["x"] },
  );
  reg(
    "Tile",
    (dy, [x], attrs) => {
      // Output axis i is [reps[i], x.shape[i]] laid out rep-major: split each tiled axis, sum the
      // rep parts. Untiled neighbours are merged, so the rank stays low (WebGPU reduces rank <= 6).
      const reps = attrs["reps"] as number[];
      const split: number[] = [];
      const axes: number[] = [];
      let merge = false;
      reps.forEach((r, i) => {
        const d = x!.shape[i] as number;
        if (r > 1) {
          axes.push(split.length);
          split.push(r, d);
          merge = true;
        } else if (merge) split[split.length - 1]! *= d;
        else {
          split.push(d);
          merge = true;
        }
      });
      return { x: () => tf.reshape(tf.sum(tf.reshape(dy, split), axes), x!.shape) };
    },
    { inputs: ["x"] },
  );
}

// tf.matMul's own gradient (products with transpose flags), for code that calls tf.matMul
// directly; the runtime's layers use ops/matmul.ts instead. Same-rank operands only.
function registerMatMulGradient(): void {
  reg(
    "BatchMatMul",
    (dy, [a, b], attrs) => {
      const ta = attrs["transposeA"] === true;
      const tb = attrs["transposeB"] === true;
      if (!ta && !tb)
        return { a: () => tf.matMul(dy, b!, false, true), b: () => tf.matMul(a!, dy, true, false) };
      if (!ta && tb)
        return {
          a: () => tf.matMul(dy, b!, false, false),
          b: () => tf.matMul(dy, a!, true, false),
        };
      if (ta && !tb)
        return {
          a: () => tf.matMul(b!, dy, false, true),
          b: () => tf.matMul(a!, dy, false, false),
        };
      return { a: () => tf.matMul(b!, dy, true, true), b: () => tf.matMul(dy, a!, true, true) };
    },
    { inputs: ["a", "b"] },
  );
}

registerRuntimeGradients();
registerMatMulGradient();
