// Training memory per device when a train is spread over `devices` (FSDP-style full sharding, as
// the PyTorch target's FSDP2 runs it): the weights, gradients and AdamW state are split across the
// devices, and each device holds the activations of its share of the batch (`batch / devices`
// sequences). Pure arithmetic on the checker's training memory; the TypeScript runtime trains on
// one device and reads none of this.

/** The parts of a training memory estimate, in bytes. */
export interface MemoryParts {
  readonly weights: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly total: number;
}

/**
 * `memory` (of a step of `batch` sequences) on each of `devices` devices: the weights, gradients
 * and AdamW state divided by the devices (rounded up), and the activations of the largest share
 * of the batch, `ceil(batch / devices)` sequences (the checker requires an even split).
 */
export function memoryPerDevice<M extends MemoryParts>(
  memory: M,
  devices: number,
  batch: number,
): M {
  const d = Math.max(1, Math.floor(devices));
  const weights = Math.ceil(memory.weights / d);
  const gradients = Math.ceil(memory.gradients / d);
  const optimizer = Math.ceil(memory.optimizer / d);
  const share = Math.ceil(batch / d);
  const activations = batch > 0 ? Math.ceil((memory.activations * share) / batch) : 0;
  return {
    ...memory,
    weights,
    gradients,
    optimizer,
    activations,
    total: weights + gradients + optimizer + activations,
  };
}

/** The most devices a train may name (far past any published training run's GPU count). */
export const MAX_DEVICES = {
  max: 2 ** 20,
  why: "the largest published training runs use about 100,000 GPUs",
};
