// A BPE tokenizer.json's ids (8 in the file, and `<pad>` and `<image>` appended: 10) must fit in
// `llm.vocab`; the checker reads them from the file, or the run would index past the embedding.
import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 8, width: 64, depth: 1, heads: 2, context: 128 }
}

data Text {
  text: 100% jsonl("data/text.jsonl", field: "text")
  tokenizer: bpe("files/tokenizer.json")
}

train t {
  model: TextOnly
  data: Text
  steps: 10, batch: 2, sequence: 64
}
