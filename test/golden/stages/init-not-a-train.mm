// `init` names a train of this file, not a model.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  init: Small
}
