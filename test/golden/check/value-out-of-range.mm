import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { width: 1024, depth: 0, heads: 16 }
}
