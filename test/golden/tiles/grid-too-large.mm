// A grid holds at most 64 crops, and its long side (crops x the crop size) is at most 65,536 px.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Huge {
  image: Image[3, 32, 32]
  tiles: { grids: ["2x2", "9x9"] }
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}

model LongSide {
  image: Image[3, 16384, 16384]
  tiles: { grids: ["1x1", "8x1"] }
  vision: ViT { patch: 2048, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}
