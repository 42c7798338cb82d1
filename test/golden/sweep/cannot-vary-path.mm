import { small } from "./_train.mm"

sweep lr {
  base: small
  vary optimiser.lr: [1e-3, 3e-3]
}
