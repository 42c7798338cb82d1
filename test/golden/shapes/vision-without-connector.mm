import { ViT } from "std/encoders"
import { Decoder } from "std/llm"

model M {
  image: Image[3, 224, 224]
  vision: ViT { patch: 16 }
  llm: Decoder { width: 2048, heads: 16 }
}
