import { ViT } from "std/encoders"

model M {
  vision: VIT { patch: 8 }
  llm: Decodr { width: 128 }
}

train t {
  model: M
  data: Missing
}
