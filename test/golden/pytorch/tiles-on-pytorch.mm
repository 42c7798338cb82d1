// The PyTorch target does not cut images into crops: `tiles` is a compile-time error for it.
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
