import { Decoder } from "std/llm"

model Tiny { llm: Decoder { width: 256, heads: 4 } }

data Text {
  text: 100% jsonl("data/‮txt.lmsonj", field: "text")
}
