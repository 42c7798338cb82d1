import { ViT } from "std/encoders"
import { AvgPool } from "std/connectors"
import { Decoder } from "std/llm"

model Wide {
  image: Image[3, 224, 448]
  vision: ViT { patch: 16 }
  connector: AvgPool { tokens: 64 }
  llm: Decoder { width: 1024, heads: 16 }
}
