import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { width: 1024, depth: 16, heads: 16 }
  budget {
    params <= 80GiB
    active_params <= 10%
  }
}
