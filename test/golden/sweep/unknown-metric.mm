import { small } from "./_train.mm"

sweep steps {
  base: small
  vary steps: [100, 200]
  report: [loss, "caption_accuracy", tokens]
}
