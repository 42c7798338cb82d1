import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }
  connector: AvgPool { tokens: 144 }
  llm: Decoder { width: 2048, heads: 16 }
}
