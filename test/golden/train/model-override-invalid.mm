// A train's model override that breaks the model is reported at the override (it used to pass
// the check and be dropped by compile and run), and so is an unknown field inside one.
import { Small, Synthetic } from "./_model.mm"

train t {
  model: Small { connector.tokens: 10, llm.sliding_window: 3 }
  data: Synthetic
  steps: 300, batch: 8, sequence: 256
}
