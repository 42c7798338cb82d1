import { small } from "./_train.mm"

sweep depth {
  base: small
  vary model.llm.depth: []
}
