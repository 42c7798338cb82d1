// A vocabulary of 40 where the checkpoint has 32: the embedding and the head have other shapes.
import { Decoder } from "std/llm"

model M {
  llm: Decoder {
    vocab: 40, width: 16, depth: 2, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64
    init: safetensors("weights/llama-f32.safetensors", layout: hf)
  }
}
