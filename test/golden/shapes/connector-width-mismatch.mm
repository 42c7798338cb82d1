import { ViT } from "std/encoders"
import { CAbstractor } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 336, 336]
  vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }
  connector: CAbstractor { out: 2048, tokens: 144 }
  llm: Decoder { width: 4096, depth: 32, heads: 32 }
}
