import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 336, 336]
  vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }
  connector: CAbstractor { tokens: 128 }
  llm: Decoder { width: 2048, heads: 16 }
}
