// Raw escape sequences in the source reach the terminal only as `\x1b`-style escapes.
import { Decoder } from "std/llm"

model Tiny { llm: Decoder { width: "]0;title[31mred[0m", heads: 4 } }
