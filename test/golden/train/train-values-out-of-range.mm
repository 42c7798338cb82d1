import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 300, batch: 0, sequence: 256
  schedule: Cosine { warmup: 10, final: 150% }
  precision: fp16
}
