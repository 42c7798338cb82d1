// Freezing every part leaves nothing to train.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  freeze: [vision, connector, llm]
}
