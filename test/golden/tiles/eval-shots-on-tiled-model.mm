// A tiled model's benchmark shots are checked against the context with the most positions one
// image can take: 2x2 crops and an overview, 4 tokens each, 20 per image.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Tiled {
  image: Image[3, 32, 32]
  tiles: { grids: ["1x1", "2x2"], overview: true }
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}

data Pairs {
  caption: 100% webdataset("data/caption-{0000..0003}.tar")
}

train scored {
  model: Tiled
  data: Pairs
  sequence: 128
  eval: {
    every: 50
    captioning: { annotations: "data/captions.json", images: "data/images", shots: [0, 12] }
  }
}
