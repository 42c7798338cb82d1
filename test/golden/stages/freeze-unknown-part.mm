// `freeze` names parts of the model (`vision`, `connector`, `llm`) or paths of their tensors.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small
  data: Synthetic
  steps: 10, sequence: 128
  freeze: [vision, "encoder.layers.0"]
}
