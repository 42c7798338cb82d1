// A "Trojan Source" line: the override makes the comment look as if it ended before `tied`.
import { Decoder } from "std/llm"

model Tiny {
  llm: Decoder { width: 256, heads: 4 }  // tied is‮ off ⁦ (reversed)⁩
}
