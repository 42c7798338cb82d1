import { Decoder } from "std/llm"

model Base {
  llm: Decoder { vocab: 32000, width: 1024, depth: 12, heads: 16 }
  budget {
    params <= 250M
  }
}

model Deeper = Base { llm.depth: 24 }
