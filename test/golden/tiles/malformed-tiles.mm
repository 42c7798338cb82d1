// `tiles` is a record with `grids` and `overview`; each mistake is reported at its own words.
import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model NotARecord {
  image: Image[3, 32, 32]
  tiles: ["2x2"]
  vision: ViT { patch: 8, width: 64, depth: 1, heads: 2 }
  connector: AvgPool { tokens: 4 }
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 256 }
}

model Misspelt = NotARecord { tiles: { grid: ["2x2"], overveiw: true } }

model NoGrids = NotARecord { tiles: { overview: false } }

model BadOverview = NotARecord { tiles: { grids: ["2x2"], overview: "yes" } }

model EmptyGrids = NotARecord { tiles: { grids: [] } }

model Dotted = NotARecord { tiles.grids: ["2x2"] }
