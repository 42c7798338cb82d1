import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 256, width: 64, depth: 1, heads: 2, context: 128 }
}

data Text {
  text: 100% jsonl("data/text.jsonl", field: "text")
  tokenizer: bytes
}

train t {
  model: TextOnly
  data: Text
  steps: 10, batch: 2, sequence: 64
}
