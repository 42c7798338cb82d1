// The earlier train must write checkpoints: they are what the later one starts from.
import { Small, Synthetic } from "./_model.mm"

train pretrain {
  model: Small, data: Synthetic, steps: 10, sequence: 128
}

train finetune {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  init: pretrain
}
