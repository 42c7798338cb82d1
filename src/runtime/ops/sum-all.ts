// Adding many tensors of one shape. `tf.addN` binds every input to one shader at once, and WebGPU
// allows 8 storage buffers per shader stage by default (inputs plus the output), so an addN over
// a model's 60-odd gradient norms fails there. `sumAll` adds in groups small enough for any backend.
import * as tf from "@tensorflow/tfjs-core";

/** Inputs per addN: 7 inputs and the output make WebGPU's default limit of 8 bindings. */
export const MAX_ADDN_INPUTS = 7;

/** The sum of `tensors` (all of one shape), as a tree of addN calls of at most 7 inputs. */
export function sumAll<T extends tf.Tensor>(tensors: readonly T[]): T {
  if (tensors.length === 0) throw new Error("sumAll needs at least one tensor");
  let level: T[] = [...tensors];
  while (level.length > 1) {
    const next: T[] = [];
    for (let i = 0; i < level.length; i += MAX_ADDN_INPUTS) {
      const group = level.slice(i, i + MAX_ADDN_INPUTS);
      next.push(group.length === 1 ? (group[0] as T) : tf.addN(group));
    }
    level = next;
  }
  return level[0] as T;
}
