// The file has two blocks; the model three: one diagnostic lists the missing tensors (windowed).
import { Decoder } from "std/llm"

model M {
  llm: Decoder { vocab: 32, width: 16, depth: 3, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, init: safetensors("weights/llama-f32.safetensors", layout: hf) }
}
