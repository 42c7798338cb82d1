import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { width: 2048, depth: 16, heads: 16, kv_heads: 6 }
}
