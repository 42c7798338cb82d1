// An MoE's weights belong to its decoder: `init` goes on the `llm`.
import { Decoder, MoE } from "std/llm"

model M {
  llm: Decoder { vocab: 32, width: 16, depth: 2, heads: 2, kv_heads: 1, mlp: swiglu(24), norm: rms, position: rope, context: 64, moe: MoE { experts: 2, init: safetensors("weights/llama-f32.safetensors") } }
}
