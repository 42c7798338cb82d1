// std/llm — language model presets with published dimensions.
import { Decoder } from "std/llm"

/// GPT-2 (Radford et al. 2019): LayerNorm and biases everywhere, learned positions, tied head.
/// GPT-2 small has exactly 124,439,808 parameters.
llm GPT2_Small = Decoder {
  vocab: 50257, context: 1024, width: 768, depth: 12, heads: 12, mlp: gelu(3072)
  norm: layer, biases: all, position: learned, tied: true
}
llm GPT2_Medium = GPT2_Small { width: 1024, depth: 24, heads: 16, mlp: gelu(4096) }
llm GPT2_Large = GPT2_Small { width: 1280, depth: 36, heads: 20, mlp: gelu(5120) }
llm GPT2_XL = GPT2_Small { width: 1600, depth: 48, heads: 25, mlp: gelu(6400) }

/// Llama-2-7B (Touvron et al. 2023): RMSNorm, no biases, rotary positions, SwiGLU, untied head.
/// Exactly 6,738,415,616 parameters.
llm Llama2_7B = Decoder {
  vocab: 32000, context: 4096, width: 4096, depth: 32, heads: 32, mlp: swiglu(11008)
  norm: rms, biases: none, position: rope, tied: false
}
