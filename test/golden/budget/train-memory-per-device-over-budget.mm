import { Decoder } from "std/llm"

model TextOnly {
  llm: Decoder { vocab: 32000, width: 1024, depth: 16, heads: 16, context: 2048 }
  budget {
    train_memory_per_device <= 8GiB
  }
}

data Text {
  text: jsonl("data/text.jsonl", field: "text")
}

train t {
  model: TextOnly
  data: Text
  batch: 8, sequence: 2048
  devices: 4
}
