// An odd width leaves no head count with an even head width: the help names `head_dim` instead.
import { Decoder } from "std/llm"

model M {
  llm: Decoder { width: 255, heads: 5 }
}
