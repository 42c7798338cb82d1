// `bias` for the Decoder's `biases`: a singular or plural form is suggested like a typo.
import { Decoder } from "std/llm"

model M {
  llm: Decoder { width: 256, heads: 4, bias: all }
}
