import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 300, batch: 8, sequence: 256
  devices: 3
}
