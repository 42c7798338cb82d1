import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 224, 224]
  vision: ViT { patch: 16, widht: 768 }
  connector: CAbstractor { tokens: 64 }
  llm: Decoder { width: 1024, heads: 16 }
}
