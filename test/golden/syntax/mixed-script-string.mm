// `а` in the path is U+0430 CYRILLIC SMALL LETTER A; the whole-Cyrillic word is fine.
import { Decoder } from "std/llm"

model Tiny { llm: Decoder { width: 256, heads: 4 } }

data Text {
  text: 100% jsonl("dаta/text.jsonl", field: "текст")
}
