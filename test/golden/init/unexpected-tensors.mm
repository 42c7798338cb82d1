// The file has two blocks and a head; the model one block and a tied head: a warning lists the rest.
import { Decoder } from "std/llm"

model M {
  llm: Decoder { vocab: 32, width: 16, depth: 1, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, tied: true, init: safetensors("weights/llama-f32.safetensors", layout: hf) }
}
