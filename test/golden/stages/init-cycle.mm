// Stages start from earlier stages: a train cannot start from itself, nor two from each other.
import { Small, Synthetic } from "./_model.mm"

train a {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  init: a
}

train b {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  init: c
  checkpoint: { every: 5, dir: "runs/b" }
}

train c {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  init: b
  checkpoint: { every: 5, dir: "runs/c" }
}
