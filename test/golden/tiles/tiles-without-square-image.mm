// `tiles` cuts crops of the model's `image`: a text-only model has none, and it must be square.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model TextTiled {
  tiles: { grids: ["2x2"] }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}

model WideCrops {
  image: Image[3, 32, 64]
  tiles: { grids: ["1x1", "2x2"], overview: true }
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}
