// A stage writes its own checkpoints: a variant of the earlier train keeps its folder unless told.
import { Small, Synthetic } from "./_model.mm"

train pretrain {
  model: Small, data: Synthetic, steps: 10, sequence: 128
  checkpoint: { every: 5, dir: "runs/pretrain" }
}

train finetune = pretrain { init: pretrain, steps: 20 }
