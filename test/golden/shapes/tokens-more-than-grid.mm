import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 64, 64]
  vision: ViT { patch: 8, width: 128, depth: 4, heads: 4 }
  connector: AvgPool { tokens: 144 }
  llm: Decoder { vocab: 512, width: 256, depth: 4, heads: 4 }
}
