import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 300, batch: 8, sequence: 256
  schedule: Cosine { warmup: 500, final: 10% }
}
