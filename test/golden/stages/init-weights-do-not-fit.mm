// The earlier stage's weights must fit: the same tensors and shapes (or dense MLPs where the later
// model has MoE layers). A wider decoder does not fit, and neither does a text-only one.
import { Small, Wider, TextOnly, Synthetic } from "./_model.mm"

train pretrain {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  checkpoint: { every: 5, dir: "runs/pretrain" }
}

train wider {
  model: Wider, data: Synthetic, steps: 10, sequence: 128
  init: pretrain
}

train text {
  model: TextOnly, data: Synthetic, steps: 10, sequence: 128
  init: pretrain
}
