// A text-only model has no `vision` to freeze.
import { TextOnly, Synthetic } from "./_model.mm"

train t {
  model: TextOnly
  data: Synthetic
  steps: 10, sequence: 128
  freeze: [vision]
}
