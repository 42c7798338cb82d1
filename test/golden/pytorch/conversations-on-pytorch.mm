// The PyTorch target has no conversation reader yet: a conversation source is a compile-time
// error for it, never a source silently left out.
import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 260, width: 64, depth: 1, heads: 2, context: 128 }
}

data Instruct {
  instruct: 90% conversations("data/instruct.jsonl")
  text: 10% jsonl("data/text.jsonl", field: "text")
  tokenizer: bytes
}
