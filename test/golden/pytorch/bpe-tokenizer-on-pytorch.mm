// The PyTorch target has byte tokens only: a BPE tokenizer is a compile-time error for it.
import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 32000, width: 64, depth: 1, heads: 2, context: 128 }
}

data Text {
  text: 100% jsonl("data/text.jsonl", field: "text")
  tokenizer: bpe("tokenizer.json")
}
