import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Tiled {
  image: Image[3, 32, 32]
  tiles: { grids: ["1x1", "2x1"], overview: true }
  vision: ViT { patch: 8, width: 64, depth: 2, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 2, heads: 2, context: 128 }
}

data Padded {
  caption: 100% jsonl("data/captions.jsonl")
  fit: pad
}

train t {
  model: Tiled
  data: Padded
  steps: 10, batch: 2, sequence: 64
}
