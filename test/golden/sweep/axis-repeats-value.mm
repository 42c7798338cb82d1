// A value written twice on one axis: the points differing only there train the same thing.
import { small } from "./_train.mm"

sweep steps {
  base: small
  vary steps: [100, 200, 100]
}
