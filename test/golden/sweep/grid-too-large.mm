import { small } from "./_train.mm"

sweep big {
  base: small
  vary steps: [100, 200, 300, 400, 500, 600, 700, 800]
  vary batch: [1, 2, 4, 8, 16, 32, 64, 128]
  vary model.llm.depth: [1, 2, 3, 4, 5]
}
