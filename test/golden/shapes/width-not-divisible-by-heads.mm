import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { width: 1000, depth: 12, heads: 16 }
}
