import { Small, Synthetic } from "./_model.mm"

train huge {
  model: Small
  data: Synthetic
  steps: 1000000000000000, batch: 100000000, sequence: 256, seed: 4294967296
}
