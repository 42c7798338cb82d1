// Shared by the sweep cases: a small model, data and train to vary.
import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }
  connector: CAbstractor { tokens: 16 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4, context: 512 }
}

data Synthetic {
  caption: 50% webdataset("data/caption-{0000..0003}.tar")
  text: 50% jsonl("data/text.jsonl", field: "text")
}

train small {
  model: Small
  data: Synthetic
  steps: 300, batch: 8, sequence: 256
}
