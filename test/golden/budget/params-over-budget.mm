import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model Small {
  image: Image[3, 224, 224]
  vision: ViT { patch: 16, width: 768, depth: 12, heads: 12 }
  connector: CAbstractor { tokens: 64 }
  llm: Decoder { vocab: 32000, width: 1024, depth: 24, heads: 16 }
  budget {
    params <= 300M
  }
}
