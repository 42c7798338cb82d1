// A sweep point whose model override breaks the model is reported at the value, naming the point.
import { small } from "./_train.mm"

sweep tokens {
  base: small
  vary model.connector.tokens: [16, 10]
}
