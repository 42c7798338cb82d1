// `freeze` is a list, and its items are parts or quoted paths.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  freeze: vision
}

train u {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  freeze: [vision, 3]
}
