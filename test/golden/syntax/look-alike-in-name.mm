// The `М` of the model name is U+041C CYRILLIC CAPITAL LETTER EM: names are ASCII.
import { Decoder } from "std/llm"

model Мodel { llm: Decoder { width: 256, heads: 4 } }
