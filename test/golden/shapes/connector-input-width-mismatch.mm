import { ViT } from "std/encoders"
import { MLPProjector } from "std/connectors"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 336, 336]
  vision: ViT { patch: 14, width: 1024, depth: 24, heads: 16 }
  connector: MLPProjector { in: 768 }
  llm: Decoder { width: 4096, heads: 32 }
}
