import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model Tiny {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }
  connector: CAbstractor { tokens: 16 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4, context: 512 }
}

data Text {
  text: jsonl("data/text.jsonl", field: "text")
}

train tiny {
  model: Tiny
  data: Text
  steps: 300, batch: 8, sequence: 256
}

sweep tokens {
  base: Tiny
  vary model.connector.tokens: [16, 64]
}
