// A tiled image takes up to (the largest grid's crops + the overview) x tokens per crop: here
// (4 + 1) x 16 = 80 tokens. Budgets, the context and the train's sequence count that many.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Tiled {
  image: Image[3, 32, 32]
  tiles: { grids: ["1x1", "2x2", "1x2", "2x1"], overview: true }
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 16 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
  budget { image_tokens <= 64 }
}

model ContextTooShort = Tiled {
  llm.context: 64
  budget { image_tokens == 80 }
}

data Pairs {
  caption: 100% webdataset("data/caption-{0000..0003}.tar")
  images_per_sequence: 2
}

train short {
  model: Tiled { budget { image_tokens == 80 } }
  data: Pairs
  sequence: 160
}
