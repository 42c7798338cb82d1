import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Thumb {
  image: Image[3, 32, 32]
  vision: ViT { patch: 64, width: 256, depth: 4, heads: 4 }
  connector: AvgPool { tokens: 1 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4 }
}
