// A grid is "COLSxROWS" with whole numbers of at least 1, each listed once.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Tiled {
  image: Image[3, 32, 32]
  tiles: { grids: ["1x1", "2x", "0x2", "2 x 2", 3, "1x1"] }
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}
