// A path must name tensors of the model: `llm.embedding` is a typo of `llm.embed`.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  freeze: [vision, "llm.embedding"]
}
