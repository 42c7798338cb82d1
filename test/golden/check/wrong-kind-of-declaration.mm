import { ViT_L14 } from "std/encoders"
import { Decoder } from "std/llm"

model M {
  llm: Decoder { width: 2048, heads: 16 }
}

train t {
  model: M
  data: ViT_L14
}
