import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { width: 2048, depth: 24, heads: 16, position: "rope" }
}
